// no-shared-code (impl includes model's arch/).
#include "arch/state.h"
#include "hw/machine.h"

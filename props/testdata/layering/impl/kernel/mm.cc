// platform-only (hw/internals.h), impl-direction (a kernel file includes driver/).
#include "driver/ioctl.h"
#include "hw/internals.h"
#include "hw/machine.h"

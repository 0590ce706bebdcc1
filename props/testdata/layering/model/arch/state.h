// no-shared-code (model includes impl's hw/), model-alone (conformance/ of props).
#pragma once
#include "conformance/hw_runner.h"
#include "hw/machine.h"

// platform-only (hw/inspect.h), impl-direction (user space includes driver/).
#include "driver/ioctl.h"
#include "hw/inspect.h"

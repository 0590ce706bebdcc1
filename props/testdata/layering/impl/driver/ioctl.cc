// platform-only (hw/inspect.h), no-hidden-names (Inspector), impl-alone (testlib/).
#include "driver/ioctl.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/enclave_fixture.h"

void peek(const sgxref::hw::Machine& m) { sgxref::hw::Inspector i(m); }

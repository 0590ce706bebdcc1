// no-ambiguous-name (its own header by a path impl/ could take over).
#pragma once
#include "uapi/view.h"

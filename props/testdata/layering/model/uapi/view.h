// Exists so that the include of model/uapi/ops.h resolves.
#pragma once

// Exists so that impl/ has a uapi/ folder too.
#pragma once

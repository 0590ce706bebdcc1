// File: clang thread-safety attributes as macros (no-ops for other compilers), so lock
// rules are written where the data is and checked by -Wthread-safety.
#pragma once

#if defined(__clang__)
#define SGXREF_TSA(x) __attribute__((x))
#else
#define SGXREF_TSA(x)
#endif

#define CAPABILITY(x) SGXREF_TSA(capability(x))
#define SCOPED_CAPABILITY SGXREF_TSA(scoped_lockable)
#define GUARDED_BY(x) SGXREF_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) SGXREF_TSA(pt_guarded_by(x))
#define ACQUIRED_AFTER(...) SGXREF_TSA(acquired_after(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) SGXREF_TSA(acquired_before(__VA_ARGS__))
#define REQUIRES(...) SGXREF_TSA(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) SGXREF_TSA(requires_shared_capability(__VA_ARGS__))
#define EXCLUDES(...) SGXREF_TSA(locks_excluded(__VA_ARGS__))
#define ASSERT_SHARED_CAPABILITY(x) SGXREF_TSA(assert_shared_capability(x))
#define ACQUIRE(...) SGXREF_TSA(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) SGXREF_TSA(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) SGXREF_TSA(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) SGXREF_TSA(release_shared_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) SGXREF_TSA(try_acquire_capability(__VA_ARGS__))
#define TRY_ACQUIRE_SHARED(...) SGXREF_TSA(try_acquire_shared_capability(__VA_ARGS__))
#define RETURN_CAPABILITY(x) SGXREF_TSA(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS SGXREF_TSA(no_thread_safety_analysis)

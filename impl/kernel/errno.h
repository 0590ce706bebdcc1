// File: the errno values the kernel slice and the driver return, negated as Linux's
// functions return them (-EINVAL). User-visible values come from <cerrno>, whose values
// on Linux are the kernel's own (asserted below, so a libc that numbers them otherwise
// fails the build); the kernel-internal ones, which never reach user space, are here.
#pragma once

#include <cerrno>

namespace sgxref::kernel {

static_assert(EPERM == 1 && ENOENT == 2 && EINTR == 4 && EIO == 5 && EBADF == 9 &&
                  EAGAIN == 11 && ENOMEM == 12 && EACCES == 13 && EFAULT == 14 &&
                  EBUSY == 16 && EEXIST == 17 && ENODEV == 19 && EINVAL == 22 &&
                  ENOTTY == 25 && ENOSPC == 28 && ECANCELED == 125,
              "errno values differ from Linux's asm-generic ones");

// A system call interrupted by a signal, restarted or turned into EINTR on the way out;
// and an ioctl a driver does not know, which the VFS turns into ENOTTY.
inline constexpr int ERESTARTSYS = 512;
inline constexpr int ENOIOCTLCMD = 515;

}  // namespace sgxref::kernel

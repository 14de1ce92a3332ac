"""Assembles the sandbox's seccomp filter as a classic-BPF program for bwrap's --seccomp FD.

We assemble the BPF ourselves (no libseccomp binding): the app venv then needs no
compiled extension, and the program is short enough to review line by line. bwrap
loads it just before exec'ing the student program, after its own mount setup.

A deny-list with argument checks, plus a default-deny for every syscall newer than this
table knows (ENOSYS, as an older kernel would answer): an allow-list would also have to
track what glibc, CPython, numpy, torch, CUDA and every student's C extension call, and
one missing entry kills a legitimate job; what is denied here is what reaches kernel
code a training job never needs (namespaces, mounts, keys, BPF, io_uring, NUMA policy,
LDTs, foreign personas, non-Unix sockets).
"""

from __future__ import annotations

import errno
import functools
import platform
import struct

# seccomp_data layout: int nr; u32 arch; u64 ip; u64 args[6] (little-endian hosts only).
_OFF_NR = 0
_OFF_ARCH = 4
_OFF_ARG0_LO = 16
_OFF_ARG1_LO = 24

_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06

_RET_ALLOW = 0x7FFF0000
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000

_AF_UNIX = 1
# Namespace flags of clone(2): creating namespaces is how most container escapes start.
_CLONE_NS_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
# personality(2): the default persona (PER_LINUX) and the query; anything else (ADDR_NO_RANDOMIZE,
# READ_IMPLIES_EXEC, foreign ABIs) is refused.
_PERSONALITY_ALLOWED = (0x0, 0xFFFFFFFF)
# ioctl(2) requests that act on a terminal beyond the caller's own output: TIOCSTI (inject input),
# TIOCLINUX (console selection), TIOCSETD (line disciplines: rarely used kernel code).
_IOCTL_DENIED = (0x5412, 0x541C, 0x5423)
# Syscalls numbered from here on are newer than this table (x86_64 and aarch64 share the numbers
# since 403): the filter answers ENOSYS, so a new kernel feature is off until reviewed.
_FIRST_UNREVIEWED = 463

# Syscalls answered with EPERM. Besides namespaces and mounts: io_uring (its SOCKET op would
# bypass the socket() check), the new mount API, process_vm_*/pidfd_getfd/process_madvise
# (ptrace-like), userfaultfd (a classic exploit helper), modify_ldt (x86 segment tables) and
# host-administration calls.
_DENIED = (
    "ptrace mount umount2 unshare setns keyctl add_key request_key bpf perf_event_open "
    "kexec_load kexec_file_load init_module finit_module delete_module pivot_root chroot "
    "swapon swapoff reboot acct quotactl quotactl_fd syslog userfaultfd process_vm_readv "
    "process_vm_writev open_by_handle_at name_to_handle_at lookup_dcookie io_uring_setup "
    "io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick "
    "mount_setattr kcmp settimeofday clock_settime adjtimex clock_adjtime vhangup "
    "nfsservctl fanotify_init sethostname setdomainname pidfd_getfd uselib iopl ioperm "
    "modify_ldt _sysctl process_madvise process_mrelease statmount listmount"
).split()
# Answered ENOSYS, as a kernel built without the feature would: software falls back quietly.
# NUMA memory policy (a worker has no business placing pages; libnuma then reports "no NUMA"),
# secret memory, and clone3, whose flags sit in a struct BPF cannot read (glibc falls back to clone).
_NOT_IMPLEMENTED = (
    "mbind set_mempolicy get_mempolicy migrate_pages move_pages set_mempolicy_home_node memfd_secret clone3"
).split()

_X86_64 = {
    "ptrace": 101, "mount": 165, "umount2": 166, "unshare": 272, "setns": 308,
    "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "pivot_root": 155, "chroot": 161, "swapon": 167, "swapoff": 168,
    "reboot": 169, "acct": 163, "quotactl": 179, "quotactl_fd": 443, "syslog": 103,
    "userfaultfd": 323, "process_vm_readv": 310, "process_vm_writev": 311,
    "open_by_handle_at": 304, "name_to_handle_at": 303, "lookup_dcookie": 212,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
    "fspick": 433, "mount_setattr": 442, "kcmp": 312, "settimeofday": 164,
    "clock_settime": 227, "adjtimex": 159, "clock_adjtime": 305, "vhangup": 153,
    "nfsservctl": 180, "fanotify_init": 300, "sethostname": 170, "setdomainname": 171,
    "pidfd_getfd": 438, "uselib": 134, "iopl": 172, "ioperm": 173,
    "modify_ldt": 154, "_sysctl": 156, "process_madvise": 440, "process_mrelease": 448,
    "statmount": 457, "listmount": 458,
    "mbind": 237, "set_mempolicy": 238, "get_mempolicy": 239, "migrate_pages": 256,
    "move_pages": 279, "set_mempolicy_home_node": 450, "memfd_secret": 447,
    "socket": 41, "socketpair": 53, "clone": 56, "clone3": 435, "personality": 135, "ioctl": 16,
}  # fmt: skip

_AARCH64 = {
    "ptrace": 117, "mount": 40, "umount2": 39, "unshare": 97, "setns": 268,
    "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241,
    "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273,
    "delete_module": 106, "pivot_root": 41, "chroot": 51, "swapon": 224, "swapoff": 225,
    "reboot": 142, "acct": 89, "quotactl": 60, "quotactl_fd": 443, "syslog": 116,
    "userfaultfd": 282, "process_vm_readv": 270, "process_vm_writev": 271,
    "open_by_handle_at": 265, "name_to_handle_at": 264, "lookup_dcookie": 18,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
    "fspick": 433, "mount_setattr": 442, "kcmp": 272, "settimeofday": 170,
    "clock_settime": 112, "adjtimex": 171, "clock_adjtime": 266, "vhangup": 58,
    "nfsservctl": 42, "fanotify_init": 262, "sethostname": 161, "setdomainname": 162,
    "pidfd_getfd": 438, "process_madvise": 440, "process_mrelease": 448,
    "statmount": 457, "listmount": 458,
    "mbind": 235, "get_mempolicy": 236, "set_mempolicy": 237, "migrate_pages": 238,
    "move_pages": 239, "set_mempolicy_home_node": 450, "memfd_secret": 447,
    "socket": 198, "socketpair": 199, "clone": 220, "clone3": 435, "personality": 92, "ioctl": 29,
}  # fmt: skip

# machine -> (AUDIT_ARCH value, syscall table, first syscall number of a foreign ABI or None)
_ARCHES = {
    "x86_64": (0xC000003E, _X86_64, 0x40000000),  # x32 ABI numbers start here
    "aarch64": (0xC00000B7, _AARCH64, None),
}


def supported() -> bool:
    return platform.machine() in _ARCHES and struct.pack("=I", 1)[0] == 1


def _ins(code: int, k: int, jt: int | str = 0, jf: int | str = 0) -> tuple[int, int, int | str, int | str]:
    return (code, k, jt, jf)


@functools.cache
def build_filter() -> bytes:
    """The filter as bytes of struct sock_filter, ready to write into bwrap's --seccomp fd."""
    machine = platform.machine()
    if not supported():
        raise RuntimeError(f"seccomp filter not available for {machine}")
    arch, table, foreign_from = _ARCHES[machine]
    # Instructions with symbolic jump targets (the labels below).
    prog: list[tuple[int, int, int | str, int | str]] = [
        _ins(_LD_W_ABS, _OFF_ARCH),
        _ins(_JEQ_K, arch, 1, 0),
        _ins(_RET_K, _RET_KILL_PROCESS),  # a foreign-arch syscall (int 0x80) would dodge the table
        _ins(_LD_W_ABS, _OFF_NR),
    ]
    if foreign_from is not None:
        prog.append(_ins(_JGE_K, foreign_from, "deny", 0))
    prog.append(_ins(_JGE_K, _FIRST_UNREVIEWED, "enosys", 0))
    for name in _DENIED:
        if name in table:
            prog.append(_ins(_JEQ_K, table[name], "deny", 0))
    for name in _NOT_IMPLEMENTED:
        prog.append(_ins(_JEQ_K, table[name], "enosys", 0))
    # Syscalls allowed only with some arguments.
    for name, label in (
        ("socket", "unix"),
        ("socketpair", "unix"),
        ("clone", "clone"),
        ("personality", "personality"),
        ("ioctl", "ioctl"),
    ):
        prog.append(_ins(_JEQ_K, table[name], label, 0))
    prog.append(_ins(_RET_K, _RET_ALLOW))
    labels = {"unix": len(prog)}
    prog += [
        _ins(_LD_W_ABS, _OFF_ARG0_LO),  # the family: an int, so its low word is all the kernel reads
        _ins(_JEQ_K, _AF_UNIX, "allow", "deny"),
    ]
    labels["clone"] = len(prog)
    prog += [
        _ins(_LD_W_ABS, _OFF_ARG0_LO),  # the kernel reads only the flags' low 32 bits
        _ins(_JSET_K, _CLONE_NS_FLAGS, "deny", "allow"),
    ]
    labels["personality"] = len(prog)
    prog.append(_ins(_LD_W_ABS, _OFF_ARG0_LO))  # an unsigned int
    prog += [_ins(_JEQ_K, persona, "allow", 0) for persona in _PERSONALITY_ALLOWED]
    prog.append(_ins(_RET_K, _RET_ERRNO | errno.EPERM))
    labels["ioctl"] = len(prog)
    prog.append(_ins(_LD_W_ABS, _OFF_ARG1_LO))  # the request: an unsigned int
    prog += [_ins(_JEQ_K, request, "deny", 0) for request in _IOCTL_DENIED]
    labels["allow"] = len(prog)
    prog.append(_ins(_RET_K, _RET_ALLOW))
    labels["deny"] = len(prog)
    prog.append(_ins(_RET_K, _RET_ERRNO | errno.EPERM))
    labels["enosys"] = len(prog)
    prog.append(_ins(_RET_K, _RET_ERRNO | errno.ENOSYS))

    out = bytearray()
    for pc, (code, k, jt, jf) in enumerate(prog):
        offsets = []
        for target in (jt, jf):
            if isinstance(target, str):
                delta = labels[target] - pc - 1
                if not 0 <= delta <= 255:
                    raise AssertionError("BPF jump out of range")
                offsets.append(delta)
            else:
                offsets.append(target)
        out += struct.pack("=HBBI", code, offsets[0], offsets[1], k)
    return bytes(out)

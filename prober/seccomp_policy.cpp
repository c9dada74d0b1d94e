// The probe children's seccomp filter (docs/security.md, "Seccomp"). A deny list: the
// probe must run arbitrary extension modules as CPython would, so everything a normal
// process does stays allowed; what is refused is what only escapes, or attacks the kernel,
// need. Most of it fails already for lack of capabilities (the child has none); the filter
// is the second wall, and the only one for what needs no capability: creating namespaces,
// Unix-domain sockets (a filesystem socket is reachable through a read-only mount),
// io_uring (its operations bypass seccomp), userfaultfd, ptrace of a same-uid process.
#include "prober/seccomp_policy.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace subcheck::prober {

namespace {

// Refused with EPERM: kernel-wide state, other processes, mounts and namespaces.
constexpr const char* kRefused[] = {
    // namespaces and mounts
    "setns", "unshare", "mount", "umount", "umount2", "pivot_root", "chroot", "mount_setattr", "move_mount",
    "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    // other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    // the kernel itself
    "bpf", "perf_event_open", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "iopl", "ioperm", "lookup_dcookie", "open_by_handle_at", "name_to_handle_at", "userfaultfd",
    "fanotify_init", "keyctl", "add_key", "request_key", "personality", "vhangup", "nfsservctl",
    // operations that bypass seccomp
    "io_uring_setup", "io_uring_enter", "io_uring_register"};

// Namespace flags a clone() may not carry.
constexpr unsigned long kNamespaceFlags[] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,   CLONE_NEWNET,
                                             CLONE_NEWIPC,  CLONE_NEWUTS, CLONE_NEWCGROUP};

struct ContextDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

void check(int rc, const std::string& what) {
  if (rc < 0) throw std::runtime_error("seccomp filter: " + what + ": " + std::strerror(-rc));
}

void refuse(scmp_filter_ctx ctx, const char* name) {
  const int number = seccomp_syscall_resolve_name(name);
  if (number == __NR_SCMP_ERROR) return;  // not on this architecture
  check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), number, 0), name);
}

void add_rules(scmp_filter_ctx ctx) {
  for (const char* name : kRefused) refuse(ctx, name);
  // clone3 takes its flags in a struct the filter cannot read: ENOSYS makes glibc fall back
  // to clone, whose flags it can.
  check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0), "clone3");
  for (unsigned long flag : kNamespaceFlags) {
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)),
          "clone");
  }
  // No Unix-domain socket can be created: no filesystem or abstract socket of the host is
  // reachable. socketpair() stays: an anonymous pair reaches nothing.
  check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX)), "socket");
  // TIOCSTI pushes input into a terminal; there is none in the sandbox, but the rule is cheap.
  check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                         SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, 0x5412u /* TIOCSTI */)),
        "ioctl");
}

}  // namespace

std::vector<std::string> seccomp_policy_summary() {
  // Each entry is one line of the report; long ones are split literals, not missing commas.
  // NOLINTBEGIN(bugprone-suspicious-missing-comma)
  return {
      "namespaces and mounts (setns, unshare, clone with namespace flags, clone3, mount and the new mount API, "
      "pivot_root, chroot)",
      "other processes (ptrace, process_vm_readv/writev, kcmp, pidfd_getfd)",
      "Unix-domain sockets (socket(AF_UNIX, ...); socketpair stays)",
      "io_uring, bpf, perf_event_open, userfaultfd, keyrings, kernel modules, kexec, reboot, swap, clocks, "
      "quotas, syslog, file handles, iopl/ioperm, personality, TIOCSTI",
      "system calls of other architectures (the process is killed)"};
  // NOLINTEND(bugprone-suspicious-missing-comma)
}

void write_probe_seccomp_filter(const std::filesystem::path& file) {
  Context ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) throw std::runtime_error("seccomp filter: seccomp_init failed");
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "bad-architecture action");
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "no_new_privs");  // the host sets it itself
  add_rules(ctx.get());
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
  if (fd < 0) throw std::runtime_error("seccomp filter: cannot write " + file.string() + ": " + std::strerror(errno));
  const int rc = seccomp_export_bpf(ctx.get(), fd);
  ::close(fd);
  check(rc, "export");
}

}  // namespace subcheck::prober

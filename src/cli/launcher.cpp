#include "launcher.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "pipeline/pipeline.h"
#include "support/error.h"
#include "support/files.h"
#include "support/interrupt.h"
#include "train/distributed.h"

namespace collab::cli {
namespace {

// Tells a rank which launcher started it (its parent while the launcher lives).
constexpr char launcher_pid_variable[] = "COLLAB_LAUNCHER_PID";

std::vector<std::string>& command_line() {
  static std::vector<std::string> args;
  return args;
}

// A folder only this user can enter (mkdtemp makes it 0700), where the ranks' FileStore meets:
// nothing listens on a port for them to find each other. It is removed with what is in it when
// the launcher returns or throws. One whose launcher ended at once (a second Ctrl-C, SIGKILL) is
// left, named with that launcher's process id, for the next launcher to remove.
class PrivateFolder {
 public:
  PrivateFolder() {
    const char* tmp = std::getenv("TMPDIR");
    const std::string parent = tmp && *tmp ? tmp : "/tmp";
    remove_abandoned(parent);
    std::string pattern = parent + "/" + prefix + std::to_string(::getpid()) + ".XXXXXX";
    if (!::mkdtemp(pattern.data()))
      throw unavailable("cannot make a private folder for the ranks to meet in (" + pattern +
                        "): " + std::strerror(errno));
    path_ = pattern;
  }
  ~PrivateFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  PrivateFolder(const PrivateFolder&) = delete;
  PrivateFolder& operator=(const PrivateFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  static constexpr char prefix[] = "collab-ranks.";

  // This user's folders of launchers that no longer run (PREFIX PID.XXXXXX).
  static void remove_abandoned(const std::string& parent) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(parent, ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.rfind(prefix, 0) != 0) continue;
      const long pid = std::strtol(name.c_str() + sizeof prefix - 1, nullptr, 10);
      struct stat st {};
      const bool ours =
          ::lstat(it->path().c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid();
      if (ours && pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
        std::error_code ignored;
        std::filesystem::remove_all(it->path(), ignored);
      }
    }
  }

  std::string path_;
};

// The command without --nproc N (or --nproc=N), with --seed `seed` where it had none.
std::vector<std::string> rank_arguments(unsigned long long seed) {
  std::vector<std::string> out;
  bool seeded = false;
  const auto& args = command_line();
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--nproc") {
      ++i;
      continue;
    }
    if (args[i].rfind("--nproc=", 0) == 0) continue;
    seeded = seeded || args[i] == "--seed" || args[i].rfind("--seed=", 0) == 0;
    out.push_back(args[i]);
  }
  if (!seeded) out.insert(out.end(), {"--seed", std::to_string(seed)});
  return out;
}

pid_t start_rank(const std::vector<std::string>& args, int rank, int nproc,
                 const std::string& store_dir) {
  const pid_t launcher = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw unavailable(std::string("cannot start a rank: ") + std::strerror(errno));
  if (pid > 0) return pid;
  // A rank never outlives the launcher: when the launcher ends, however (a second Ctrl-C, which
  // ends it at once, or SIGKILL), the kernel kills the rank. The setting survives execv. If the
  // launcher ended before it was made, the rank has been handed to another parent: stop here.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != launcher) ::_exit(69);
  ::setenv("RANK", std::to_string(rank).c_str(), 1);
  ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
  ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  ::setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  ::setenv("MASTER_ADDR", "127.0.0.1", 1);  // Gloo's own connections, on loopback
  ::unsetenv("MASTER_PORT");                // no TCP store: the ranks meet in store_dir
  ::setenv(store_dir_variable, store_dir.c_str(), 1);
  ::setenv(launcher_pid_variable, std::to_string(launcher).c_str(), 1);
  ::unsetenv("TORCHELASTIC_USE_AGENT_STORE");
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv("/proc/self/exe", argv.data());
  std::fprintf(stderr, "collab: error: cannot start rank %d: %s\n", rank, std::strerror(errno));
  ::_exit(70);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 70;
}

}  // namespace

void remember_command_line(int argc, char** argv) {
  command_line().assign(argv, argv + argc);
}

void require_file_inputs(const TrainingRequest& request) {
  const auto& src = request.source;
  if (is_stream_input(src.ratings_path) || is_stream_input(src.movies_path) ||
      is_stream_input(request.split.valid_ratings))
    throw usage_error("--nproc: every rank reads the data itself, so the inputs must be files, not pipes or '-'");
}

bool launcher_is_gone() {
  const char* launcher = std::getenv(launcher_pid_variable);
  return launcher && *launcher && std::to_string(::getppid()) != launcher;
}

void launch_local_ranks(int nproc, unsigned long long seed, LostRank lost) {
  const PrivateFolder meeting;
  const auto args = rank_arguments(seed);
  std::vector<pid_t> ranks;
  for (int r = 0; r < nproc; ++r) ranks.push_back(start_rank(args, r, nproc, meeting.path()));
  std::fprintf(stderr, "collab: started %d ranks; they meet in %s\n", nproc,
               meeting.path().c_str());
  int failure = 0, failed_rank = -1;
  bool stopping = false;
  auto stop_all = [&](int sig) {
    for (pid_t p : ranks)
      if (p > 0) ::kill(p, sig);
  };
  auto deadline = std::chrono::steady_clock::time_point::max();
  for (int alive = nproc; alive > 0;) {
    int status = 0;
    const pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      for (size_t r = 0; r < ranks.size(); ++r)
        if (ranks[r] == done) {
          ranks[r] = -1;
          --alive;
          const int code = exit_code_of(status);
          if (code != 0 && lost == LostRank::others_go_on && r > 0 && WIFSIGNALED(status) && !stopping) {
            std::fprintf(stderr, "collab: rank %zu of %d was killed (signal %d); the others go on without it\n", r,
                         nproc, WTERMSIG(status));
            continue;
          }
          if (code != 0 && failure == 0) failure = code, failed_rank = static_cast<int>(r);
        }
      if (failure && !stopping) {  // one failed: the others would only wait for it
        stopping = true;
        stop_all(SIGTERM);
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      }
      continue;
    }
    if (stop_requested() && !stopping) {
      stopping = true;
      stop_all(SIGTERM);
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    }
    if (std::chrono::steady_clock::now() > deadline) stop_all(SIGKILL);  // one blocked in an exchange
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (stop_requested()) throw Interrupted();
  // A rank killed by a signal (128 + its number) is a rank gone, as the others saw it: 69.
  if (failure > 128)
    throw unavailable("rank " + std::to_string(failed_rank) + " of " + std::to_string(nproc) + " was killed (signal " +
                      std::to_string(failure - 128) + "); the other ranks were stopped");
  if (failure)
    throw Error(static_cast<ExitCode>(failure), "rank " + std::to_string(failed_rank) + " of " +
                                                    std::to_string(nproc) + " failed (exit " + std::to_string(failure) +
                                                    "); the other ranks were stopped");
}

}  // namespace collab::cli

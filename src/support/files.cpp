#include "support/files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "support/error.h"
#include "support/interrupt.h"

namespace fs = std::filesystem;

namespace collab {
namespace {

// What a non-regular file is, for the message.
const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

void require_regular_input(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw missing_input(path + ": no such file");
    throw missing_input(path + ": cannot read the " + what + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode))
    throw missing_input(path + ": the " + what + " is " + kind_of(st.st_mode) + ", not a regular file");
}

bool is_stream_input(const std::string& path) {
  struct stat st {};
  return path == "-" || (::stat(path.c_str(), &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)));
}

std::string input_name(const std::string& path) { return path == "-" ? "standard input" : path; }

std::unique_ptr<std::istream> open_input_stream(const std::string& path, const std::string& what) {
  if (path == "-") {
    static bool taken = false;  // a second reader would find it drained
    if (taken) throw usage_error("only one input can be standard input ('-'); the " + what + " cannot be");
    taken = true;
    return std::make_unique<std::istream>(std::cin.rdbuf());
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw missing_input(path + ": no such file");
    throw missing_input(path + ": cannot read the " + what + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
    throw missing_input(path + ": the " + what + " is " + kind_of(st.st_mode) + ", not a file or a stream");
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) throw missing_input(path + ": cannot open the " + what + ": " + std::strerror(errno));
  return in;
}

std::string read_input_file(const std::string& path, const std::string& what) {
  require_regular_input(path, what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw missing_input(path + ": cannot open the " + what + ": " + std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw missing_input(path + ": cannot read the " + what);
  return bytes;
}

void require_replaceable_output(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw cannot_write("refusing to replace " + path + " with the " + what + ": it is " + kind_of(st.st_mode));
  const fs::path parent = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::exists(parent, ec)) throw cannot_write("cannot write the " + what + " " + path + ": no folder " + parent.string());
  if (!fs::is_directory(parent, ec)) throw cannot_write("cannot write the " + what + " " + path + ": " + parent.string() + " is not a folder");
  if (::access(parent.c_str(), W_OK) != 0)
    throw cannot_write("cannot write the " + what + " " + path + ": " + parent.string() + " is not writable");
}

std::string temporary_name_for(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

StagedFile::StagedFile(std::string path, const std::string& contents)
    : path_(std::move(path)), tmp_(temporary_name_for(path_)) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw cannot_write("refusing to replace " + path_ + ": it is " + kind_of(st.st_mode));
  const fs::path target(path_);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  remove_stale_temporaries(target.has_parent_path() ? target.parent_path().string() : ".",
                           target.filename().string(), ".tmp.");
  std::ofstream out(tmp_, std::ios::binary | std::ios::trunc);
  if (!out) {
    tmp_.clear();  // nothing of ours to remove
    throw cannot_write("cannot write " + path_ + ": cannot create " + temporary_name_for(path_));
  }
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) {  // the destructor does not run for a constructor that throws
    fs::remove(tmp_, ec);
    throw cannot_write("cannot write " + path_ + " (disk full?)");
  }
}

StagedFile::~StagedFile() {
  std::error_code ec;
  if (!committed_ && !tmp_.empty()) fs::remove(tmp_, ec);
}

void StagedFile::commit() {
  if (stop_requested()) throw Interrupted();  // asked to stop while writing: earlier files stay
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
    throw cannot_write("cannot write " + path_ + ": rename failed: " + std::strerror(errno));
  committed_ = true;
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  StagedFile(path, contents).commit();
}

void remove_stale_temporaries(const std::string& folder, const std::string& base, const std::string& marker) {
  std::error_code ec;
  const std::string prefix = base + marker;
  for (fs::directory_iterator it(folder.empty() ? "." : folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (!all_digits(pid_text) || pid_text.size() > 9) continue;
    const auto pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
}

ExclusiveLock::ExclusiveLock(const std::string& path, IfHeld if_held, const std::string& busy) {
  struct stat st {};
  const bool folder = ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  fd_ = folder ? ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
               : ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd_ < 0) throw cannot_write("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  const bool held = errno == EWOULDBLOCK;
  if (held && if_held == IfHeld::fail) {
    ::close(fd_);
    fd_ = -1;
    throw cannot_write(busy);
  }
  if (held) std::fprintf(stderr, "collab: %s\n", busy.c_str());
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR && !stop_requested()) continue;
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    if (error == EINTR) throw Interrupted();
    throw cannot_write("cannot lock " + path + ": " + std::strerror(error));
  }
}

ExclusiveLock::~ExclusiveLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

CleanupSection::CleanupSection() { open_cleanup_sections().fetch_add(1); }
CleanupSection::~CleanupSection() { open_cleanup_sections().fetch_sub(1); }

}  // namespace collab

#include "data/unpack.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "support/error.h"
#include "support/files.h"
#include "support/interrupt.h"

namespace fs = std::filesystem;

namespace collab {
namespace {

std::string zip_error_text(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string text = zip_error_strerror(&e);
  zip_error_fini(&e);
  return text;
}

// Refuses names that would land outside the target: absolute paths, drive letters, "..".
void check_entry_name(const std::string& archive, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return data_error(archive + ": refusing entry '" + name + "': " + why);
  };
  if (name.empty()) throw bad("empty name");
  if (name[0] == '/' || name[0] == '\\') throw bad("absolute path");
  if (name.size() > 1 && name[1] == ':') throw bad("absolute path");
  if (name.find('\\') != std::string::npos) throw bad("backslash in path");
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0) throw bad("'..' leaves the target folder");
    start = end + 1;
  }
}

bool entry_is_symlink(zip_t* z, zip_uint64_t i) {
  zip_uint8_t opsys = 0;
  zip_uint32_t attributes = 0;
  if (zip_file_get_external_attributes(z, i, 0, &opsys, &attributes) != 0) return false;
  if (opsys != ZIP_OPSYS_UNIX) return false;
  return ((attributes >> 16) & S_IFMT) == S_IFLNK;
}

struct TempDir {
  fs::path path;
  bool keep = false;
  ~TempDir() {
    std::error_code ec;
    if (!keep) fs::remove_all(path, ec);
  }
};

using Archive = std::unique_ptr<zip_t, void (*)(zip_t*)>;

Archive open_archive(const std::string& zip_path) {
  int err = 0;
  Archive archive(zip_open(zip_path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err), zip_discard);
  if (!archive) {
    if (err == ZIP_ER_NOENT || err == ZIP_ER_OPEN) throw missing_input("cannot open " + zip_path);
    throw data_error(zip_path + ": corrupt or truncated archive (" + zip_error_text(err) + ")");
  }
  return archive;
}

// The caps on what an archive unpacks to: in all, and against the archive's own size.
struct SizeCap {
  const std::string& zip_path;
  const UnpackLimits& limits;
  double archive_size;
  void check(std::uint64_t total) const {
    if (total > limits.max_total_bytes)
      throw data_error(zip_path + ": unpacks to more than " +
                       std::to_string(limits.max_total_bytes >> 20) + " MiB; refusing (zip bomb?)");
    if (static_cast<double>(total) > limits.max_ratio * std::max(archive_size, 1.0))
      throw data_error(zip_path + ": unpacks to over " + std::to_string((int)limits.max_ratio) +
                       " times its size; refusing (zip bomb?)");
  }
};

// First pass: names, kinds and declared sizes, before a byte is written.
std::vector<zip_stat_t> checked_entries(zip_t* z, const std::string& zip_path, const SizeCap& cap) {
  const zip_int64_t n = zip_get_num_entries(z, 0);
  if (n <= 0) throw data_error(zip_path + ": the archive is empty");
  if (static_cast<std::uint64_t>(n) > cap.limits.max_entries)
    throw data_error(zip_path + ": " + std::to_string(n) + " entries, more than the limit of " +
                     std::to_string(cap.limits.max_entries));
  std::uint64_t declared_total = 0;
  std::vector<zip_stat_t> entries(static_cast<size_t>(n));
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t& st = entries[static_cast<size_t>(i)];
    if (zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st) != 0)
      throw data_error(zip_path + ": unreadable entry " + std::to_string(i));
    check_entry_name(zip_path, st.name);
    if (entry_is_symlink(z, static_cast<zip_uint64_t>(i)))
      throw data_error(zip_path + ": refusing entry '" + std::string(st.name) + "': symbolic link");
    declared_total += st.size;
  }
  cap.check(declared_total);
  return entries;
}

// Entry i to out_path, counting real bytes into written_total: a lying header cannot exceed the
// caps.
void write_entry(zip_t* z, zip_uint64_t i, const zip_stat_t& st, const fs::path& out_path, const SizeCap& cap,
                 std::uint64_t& written_total, std::vector<char>& buf) {
  const std::string name = st.name;
  const std::string& zip_path = cap.zip_path;
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(zip_fopen_index(z, i, 0), zip_fclose);
  if (!file)
    throw data_error(zip_path + ": cannot read '" + name + "': " + zip_strerror(z));
  std::ofstream out(out_path, std::ios::binary);
  if (!out) throw cannot_write("cannot write " + out_path.string());
  std::uint64_t entry_bytes = 0;
  for (;;) {
    zip_int64_t got = zip_fread(file.get(), buf.data(), buf.size());
    if (got < 0)  // libzip checks the CRC when the entry ends
      throw data_error(zip_path + ": '" + name + "' is corrupt (" +
                       zip_file_strerror(file.get()) + ")");
    if (got == 0) break;
    if (stop_requested()) throw Interrupted();  // the temporary folder goes with the unwinding
    entry_bytes += static_cast<std::uint64_t>(got);
    written_total += static_cast<std::uint64_t>(got);
    if (entry_bytes > st.size)
      throw data_error(zip_path + ": '" + name + "' is larger than its header says");
    cap.check(written_total);
    out.write(buf.data(), got);
  }
  if (entry_bytes != st.size)
    throw data_error(zip_path + ": '" + name + "' is truncated");
  out.close();
  if (!out) throw cannot_write("cannot write " + out_path.string() + " (disk full?)");
}

// Second pass: every entry under `folder`.
void write_entries(zip_t* z, const std::vector<zip_stat_t>& entries, const fs::path& folder, const SizeCap& cap) {
  std::error_code ec;
  std::uint64_t written_total = 0;
  std::vector<char> buf(1 << 16);
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string name = entries[i].name;
    const fs::path out_path = folder / name;
    if (name.back() == '/') {
      fs::create_directories(out_path, ec);
      continue;
    }
    fs::create_directories(out_path.parent_path(), ec);
    write_entry(z, static_cast<zip_uint64_t>(i), entries[i], out_path, cap, written_total, buf);
  }
}

// `content` becomes `target`; an earlier `target` is moved aside first and put back if that fails.
void replace_folder(const fs::path& content, const fs::path& target, const fs::path& parent) {
  std::error_code ec;
  fs::path old = parent / (target.filename().string() + ".old." + std::to_string(::getpid()));
  bool replaced = false;
  if (fs::exists(target)) {
    fs::rename(target, old, ec);
    if (ec) throw cannot_write("cannot replace " + target.string() + ": " + ec.message());
    replaced = true;
  }
  fs::rename(content, target, ec);
  if (ec) {
    if (replaced) fs::rename(old, target);
    throw cannot_write("cannot create " + target.string() + ": " + ec.message());
  }
  if (replaced) fs::remove_all(old, ec);
}

}  // namespace

void unpack_archive(const std::string& zip_path, const std::string& target_dir,
                    const std::vector<std::string>& required_files, const UnpackLimits& limits) {
  Archive archive = open_archive(zip_path);
  zip_t* z = archive.get();
  const SizeCap cap{zip_path, limits, static_cast<double>(fs::file_size(zip_path))};
  const std::vector<zip_stat_t> entries = checked_entries(z, zip_path, cap);

  fs::path target(target_dir);
  fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(parent, ec);
  const std::string target_name = target.filename().string();
  remove_stale_temporaries(parent.string(), target_name, ".unpacking.");
  remove_stale_temporaries(parent.string(), target_name, ".old.");
  CleanupSection section;  // a second Ctrl-C waits for the temporary folder to be removed
  TempDir tmp{parent / (target.filename().string() + ".unpacking." + std::to_string(::getpid()))};
  fs::remove_all(tmp.path, ec);
  if (!fs::create_directories(tmp.path, ec))
    throw cannot_write("cannot create " + tmp.path.string() + ": " + ec.message());
  write_entries(z, entries, tmp.path, cap);

  // GroupLens archives hold one top-level folder; its contents become the data set folder.
  fs::path content = tmp.path;
  std::vector<fs::path> top;
  for (const auto& e : fs::directory_iterator(tmp.path)) top.push_back(e.path());
  if (top.size() == 1 && fs::is_directory(top[0])) content = top[0];
  for (const auto& file : required_files)
    if (!fs::is_regular_file(content / file, ec))
      throw data_error(zip_path + ": the archive has no " + file + "; " + target.string() +
                       " was left as it was");
  if (stop_requested()) throw Interrupted();
  replace_folder(content, target, parent);
}

}  // namespace collab

#include "data/dataset_install.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "data/checksum.h"
#include "support/error.h"
#include "support/files.h"
#include "data/unpack.h"

namespace fs = std::filesystem;

namespace collab {
namespace {

// The files a known data set's format needs; none for an archive of another name (--url).
std::vector<std::string> required_files(const std::string& name) {
  if (auto known = find_dataset(name)) return {known->ratings_file, known->movies_file};
  return {};
}

bool dataset_present(const std::string& folder, const std::string& name) {
  std::error_code ec;
  const auto needed = required_files(name);
  if (needed.empty()) return fs::is_directory(folder, ec) && !fs::is_empty(folder, ec);
  return std::all_of(needed.begin(), needed.end(),
                     [&](const std::string& f) { return fs::is_regular_file(fs::path(folder) / f, ec); });
}

// The checksum to verify against: pinned, or published beside the archive; "" if neither.
std::string expected_md5(const InstallRequest& r, const std::string& url) {
  if (!r.md5.empty()) return r.md5;
  if (auto known = find_dataset(r.name); known && known->url == url && !known->md5.empty())
    return known->md5;
  std::string listing;
  DownloadOptions quick = r.download;
  quick.progress = false;
  if (fetch_small_text(url + ".md5", listing, quick)) {
    std::string md5 = parse_md5_listing(listing);
    if (!md5.empty()) return md5;
  }
  std::fprintf(stderr, "collab: warning: no checksum is published at %s.md5; archive not verified\n",
               url.c_str());
  return "";
}

// An MD5 given by hand, in either case, as md5_hex_of_file writes it: lower case.
std::string normalised_md5(const std::string& given) {
  std::string md5 = given;
  std::transform(md5.begin(), md5.end(), md5.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!md5.empty() && (md5.size() != 32 || md5.find_first_not_of("0123456789abcdef") != std::string::npos))
    throw usage_error("--md5: '" + given + "' is not an MD5 (32 hexadecimal digits)");
  return md5;
}

}  // namespace

InstallOutcome install_dataset(const InstallRequest& request) {
  check_dataset_name(request.name, "--dataset");
  InstallRequest r = request;
  r.md5 = normalised_md5(request.md5);
  const std::string folder = (fs::path(r.data_dir) / r.name).string();
  if (!r.force && dataset_present(folder, r.name)) return InstallOutcome::already_present;

  std::string url = r.url;
  if (url.empty()) {
    auto known = find_dataset(r.name);
    if (!known) throw usage_error("unknown data set '" + r.name + "' (give --url, or one of "
                                  "ml-latest-small, ml-100k, ml-1m, ml-10m, ml-20m, ml-25m, "
                                  "ml-32m, ml-latest)");
    url = known->url;
  }
  std::error_code ec;
  fs::create_directories(r.data_dir, ec);
  if (ec) throw cannot_write("cannot create " + r.data_dir + ": " + ec.message());
  // Two runs fetching into one data directory take turns: the second finds the set installed.
  const ExclusiveLock lock(r.data_dir, ExclusiveLock::IfHeld::wait,
                           "another collab is downloading into " + r.data_dir + "; waiting for it");
  if (!r.force && dataset_present(folder, r.name)) return InstallOutcome::already_present;
  const std::string zip = (fs::path(r.data_dir) / (r.name + ".zip")).string();
  if (r.force) fs::remove(zip + ".part", ec);

  std::fprintf(stderr, "collab: fetching %s\n", url.c_str());
  download_file(url, zip, r.download);

  // From here on the archive is either unpacked or deleted: a bad zip is never cached.
  struct RemoveOnExit {
    std::string path;
    ~RemoveOnExit() { std::error_code e; fs::remove(path, e); }
  } remove_zip{zip};

  const std::string md5 = expected_md5(r, url);
  if (!md5.empty()) {
    const std::string actual = md5_hex_of_file(zip);
    if (actual != md5)
      throw data_error(url + ": checksum mismatch: expected MD5 " + md5 + ", got " + actual);
  }
  unpack_archive(zip, folder, required_files(r.name));
  std::fprintf(stderr, "collab: %s is in %s\n", r.name.c_str(), folder.c_str());
  return InstallOutcome::installed;
}

std::string ensure_dataset(const DatasetInfo& dataset, const std::string& data_dir) {
  const std::string folder = (fs::path(data_dir) / dataset.name).string();
  if (dataset_present(folder, dataset.name)) return folder;
  InstallRequest r;
  r.name = dataset.name;
  r.data_dir = data_dir;
  r.download.progress = ::isatty(2);
  std::fprintf(stderr, "collab: %s is not in %s yet; downloading it\n", dataset.name.c_str(),
               data_dir.c_str());
  install_dataset(r);
  return folder;
}

}  // namespace collab

#include "collab/dataset_install.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "collab/checksum.h"
#include "collab/error.h"
#include "collab/unpack.h"

namespace fs = std::filesystem;

namespace collab {
namespace {

bool dataset_present(const std::string& folder, const std::string& name) {
  if (auto known = find_dataset(name)) return fs::exists(fs::path(folder) / known->ratings_file);
  std::error_code ec;
  return fs::is_directory(folder, ec) && !fs::is_empty(folder, ec);
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

}  // namespace

InstallOutcome install_dataset(const InstallRequest& r) {
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
  unpack_archive(zip, folder);
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

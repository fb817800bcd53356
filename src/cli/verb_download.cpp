// `collab download`: fetch and unpack a data set (data/dataset_install.h).
#include <cstdio>

#include "data/data_dir.h"
#include "data/dataset_install.h"
#include "support/interrupt.h"
#include "output.h"
#include "verbs.h"

namespace collab::cli {
namespace {

struct DownloadVerbOptions {
  std::string dataset = "ml-latest-small", url, data_dir, md5;
  bool force = false;
  long timeout = 30;
  int retries = 4;
  bool dataset_given = false;
};

void run_download(const DownloadVerbOptions& o) {
  stop_at_safe_points();
  InstallRequest r;
  r.name = (!o.dataset_given && !o.url.empty()) ? dataset_name_from_url(o.url) : o.dataset;
  r.url = o.url;
  r.md5 = o.md5;
  r.data_dir = resolve_data_dir(o.data_dir);
  r.force = o.force;
  r.download.progress = stderr_is_terminal();
  r.download.connect_timeout_s = o.timeout;
  r.download.low_speed_time_s = o.timeout;
  r.download.retries = o.retries;
  const std::string folder = r.data_dir + "/" + r.name;
  if (install_dataset(r) == InstallOutcome::already_present)
    std::fprintf(stderr, "collab: %s is already in %s; nothing to do (--force fetches it again)\n",
                 r.name.c_str(), folder.c_str());
  print_line(folder);
}

}  // namespace

void add_download_verb(CLI::App& app) {
  auto o = std::make_shared<DownloadVerbOptions>();
  auto* verb = app.add_subcommand("download", "Fetch and safely unpack a MovieLens archive into DIR/NAME/");
  verb->add_option("--dataset", o->dataset,
                   "Data set NAME (default with --url: the archive's base name)")
      ->capture_default_str();
  verb->add_option("--url", o->url, "Archive URL (http, https or file); default: GroupLens' for NAME");
  verb->add_option("--data-dir", o->data_dir, "Folder of data sets (default: $COLLAB_DATA_DIR, else ./data)");
  verb->add_option("--md5", o->md5, "Expected MD5 of the archive (default: the registry's, else <url>.md5)");
  verb->add_flag("--force", o->force, "Fetch and unpack again even if the data set is there");
  verb->add_option("--timeout", o->timeout, "Seconds to wait for a connection; a transfer stalled this long is retried")
      ->check(CLI::Range(1L, 86400L))->capture_default_str();
  verb->add_option("--retries", o->retries, "Retries after a transient failure, with doubling backoff")
      ->check(CLI::Range(0, 100))->capture_default_str();
  verb->callback([o, verb] {
    o->dataset_given = verb->count("--dataset") > 0;
    run_download(*o);
  });
}

}  // namespace collab::cli

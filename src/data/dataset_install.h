// Puts a data set in DIR/NAME/: download, verify the checksum, unpack; nothing if it is there.
#pragma once

#include <string>

#include "data/dataset_registry.h"
#include "data/download.h"

namespace collab {

struct InstallRequest {
  std::string name;       // the data set's folder name under data_dir
  std::string url;        // archive URL; empty: the registry's
  std::string md5;        // expected checksum; empty: the registry's, else the published .md5
  std::string data_dir;
  bool force = false;     // fetch and unpack again even if the data set is there
  DownloadOptions download;
};

enum class InstallOutcome { already_present, installed };

InstallOutcome install_dataset(const InstallRequest& request);

// The folder of a registered data set, downloading it first when it is missing (like fastai's
// untar_data), with a note on stderr.
std::string ensure_dataset(const DatasetInfo& dataset, const std::string& data_dir);

}  // namespace collab

// HTTP(S) and file:// transfers with libcurl: timeouts, retries with backoff, resume, progress.
#pragma once

#include <string>

namespace collab {

struct DownloadOptions {
  long connect_timeout_s = 30;
  long low_speed_limit_bytes = 1024;  // slower than this ...
  long low_speed_time_s = 60;         // ... for this long counts as a stalled transfer
  int retries = 4;                    // further attempts after a transient failure
  double first_backoff_s = 1.0;       // doubled after each retry
  bool progress = false;              // a progress bar on stderr
};

// Fetches `url` into `destination`. Bytes arrive in `destination + ".part"`, which survives an
// interrupted or failed transfer and is resumed from with a Range request next time; the final
// name appears only once the transfer is complete. HTTP errors throw ExitCode::unavailable.
void download_file(const std::string& url, const std::string& destination,
                   const DownloadOptions& options);

// Fetches a small text resource (a published checksum); returns false when it cannot be had.
bool fetch_small_text(const std::string& url, std::string& text, const DownloadOptions& options);

}  // namespace collab

#include "data/download.h"

#include <curl/curl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "support/error.h"
#include "support/interrupt.h"

namespace collab {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

void ensure_curl_initialised() { static CurlGlobal global; }

struct Transfer {
  FILE* file = nullptr;
  long resume_from = 0;
  bool progress = false;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_drawn{};
  long http_status = 0;
  bool restart_from_zero = false;  // the server ignored our Range request and sent everything
  int write_errno = 0;             // set when writing the .part file failed
};

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (b >= 1024 && u < 3) b /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t written = std::fwrite(data, size, count, t->file) * size;
  if (written != size * count) t->write_errno = errno;  // a local failure (disk full), not the network's
  return written;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (stop_requested()) return 1;  // aborts the transfer; the .part file stays for a resume
  if (!t->progress) return 0;
  auto clock = std::chrono::steady_clock::now();
  if (clock - t->last_drawn < std::chrono::milliseconds(200) && !(total > 0 && now == total))
    return 0;
  t->last_drawn = clock;
  double seconds = std::chrono::duration<double>(clock - t->started).count();
  double rate = seconds > 0 ? static_cast<double>(now) / seconds : 0;
  double done = static_cast<double>(now + t->resume_from);
  std::string line = "\r  " + human_bytes(done);
  if (total > 0) {
    double all = static_cast<double>(total + t->resume_from);
    char pct[16];
    std::snprintf(pct, sizeof pct, " (%3.0f%%)", 100.0 * done / all);
    line += " / " + human_bytes(all) + pct;
    if (rate > 0) {
      char eta[32];
      std::snprintf(eta, sizeof eta, "  ETA %.0fs", (all - done) / rate);
      line += "  " + human_bytes(rate) + "/s" + eta;
    }
  }
  std::fprintf(stderr, "%s   ", line.c_str());
  return 0;
}

bool transient_curl_error(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE: case CURLE_RECV_ERROR: case CURLE_SEND_ERROR: case CURLE_GOT_NOTHING:
    case CURLE_HTTP2: case CURLE_HTTP2_STREAM: case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool transient_http_status(long s) { return s == 408 || s == 429 || (s >= 500 && s <= 599); }

using CurlHandle = std::unique_ptr<CURL, void (*)(CURL*)>;

CurlHandle make_handle(const std::string& url, const DownloadOptions& o) {
  ensure_curl_initialised();
  CurlHandle h(curl_easy_init(), curl_easy_cleanup);
  if (!h) throw internal_error("libcurl could not start");
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, o.low_speed_limit_bytes);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o.low_speed_time_s);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "collab/" COLLAB_VERSION);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(c, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE);
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
  return h;
}

long file_size_or_zero(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<long>(n);
}

enum class Outcome { done, retry, restart };

// Headers come before the body: a 200 answer to a Range request means the server sends the
// whole file again, so the body must start the .part file afresh.
size_t on_header(char* line, size_t size, size_t n, void* user) {
  auto* tr = static_cast<Transfer*>(user);
  std::string header(line, size * n);
  if (header.rfind("HTTP/", 0) == 0) {
    size_t sp = header.find(' ');
    tr->http_status = sp == std::string::npos ? 0 : std::atol(&header[sp + 1]);
    if (tr->http_status == 200 && tr->resume_from > 0) {
      std::fflush(tr->file);
      if (ftruncate(fileno(tr->file), 0) != 0) return 0;
      std::rewind(tr->file);
      tr->resume_from = 0;
      tr->restart_from_zero = true;
    }
  }
  return size * n;
}

// Runs the transfer into t.file (closed after); returns curl's code, and the response's status.
CURLcode perform(const std::string& url, const DownloadOptions& o, Transfer& t, long& status) {
  CurlHandle h = make_handle(url, o);
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
  if (t.resume_from > 0) curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)t.resume_from);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  CURLcode code = curl_easy_perform(c);
  status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (std::fclose(t.file) != 0 && code == CURLE_OK) {  // buffered bytes that found no room
    code = CURLE_WRITE_ERROR;
    t.write_errno = errno;
  }
  return code;
}

// What a finished transfer means: done, worth another try (with `failure` saying why), worth a
// fresh start, or an error thrown.
Outcome outcome_of(const std::string& url, const std::string& part, const Transfer& t, CURLcode code, long status,
                   std::string& failure) {
  const bool is_http = url.rfind("http", 0) == 0;
  if (is_http && status == 416 && t.resume_from > 0) {
    failure = "the server refused to resume (HTTP 416)";
    return Outcome::restart;
  }
  if (is_http && status >= 400) {
    // Keep an error page out of the .part file, and no empty .part at all.
    std::filesystem::resize_file(part, static_cast<uintmax_t>(t.resume_from));
    if (t.resume_from == 0) std::filesystem::remove(part);
    std::string msg = "HTTP " + std::to_string(status) + " for " + url;
    if (transient_http_status(status)) {
      failure = msg;
      return Outcome::retry;
    }
    throw unavailable(msg);
  }
  if (code == CURLE_WRITE_ERROR && t.write_errno != 0)  // exit 73: the disk, not the network
    throw cannot_write("cannot write " + part + ": " + std::strerror(t.write_errno) +
                       " (the bytes so far are kept for a resume)");
  if (code == CURLE_RANGE_ERROR || code == CURLE_BAD_DOWNLOAD_RESUME) {
    failure = curl_easy_strerror(code);
    return Outcome::restart;
  }
  if (code != CURLE_OK) {
    std::string msg = std::string(curl_easy_strerror(code)) + " while fetching " + url;
    if (transient_curl_error(code)) {
      failure = msg;
      return Outcome::retry;
    }
    std::error_code ec;
    if (std::filesystem::exists(part, ec) && std::filesystem::file_size(part, ec) == 0)
      std::filesystem::remove(part, ec);
    if (code == CURLE_FILE_COULDNT_READ_FILE) throw missing_input(msg);
    throw unavailable(msg);
  }
  if (t.restart_from_zero)
    std::fprintf(stderr, "collab: the server does not support resuming; fetched from the start\n");
  return Outcome::done;
}

// One attempt: appends to the .part file from where it ends.
Outcome attempt(const std::string& url, const std::string& part, const DownloadOptions& o,
                std::string& failure) {
  Transfer t;
  t.resume_from = file_size_or_zero(part);
  t.progress = o.progress;
  t.file = std::fopen(part.c_str(), t.resume_from > 0 ? "ab" : "wb");
  if (!t.file) throw cannot_write("cannot write " + part);
  long status = 0;
  const CURLcode code = perform(url, o, t, status);
  if (o.progress) std::fprintf(stderr, "\n");
  if (stop_requested()) throw Interrupted();
  return outcome_of(url, part, t, code, status, failure);
}

}  // namespace

void download_file(const std::string& url, const std::string& destination,
                   const DownloadOptions& options) {
  const std::string part = destination + ".part";
  double backoff = options.first_backoff_s;
  int restarts = 0;
  for (int attempt_no = 0;; ++attempt_no) {
    std::string failure;
    Outcome out = attempt(url, part, options, failure);
    if (out == Outcome::done) break;
    if (out == Outcome::restart) {
      std::filesystem::remove(part);
      if (++restarts > 1) throw unavailable(failure + " for " + url);
      std::fprintf(stderr, "collab: %s; starting again from the beginning\n", failure.c_str());
      continue;
    }
    if (attempt_no >= options.retries)
      throw unavailable(failure + " (gave up after " + std::to_string(attempt_no + 1) +
                        " attempts; run again to resume)");
    std::fprintf(stderr, "collab: %s; retrying in %.0f s (%ld bytes kept)\n", failure.c_str(),
                 backoff, file_size_or_zero(part));
    std::this_thread::sleep_for(std::chrono::duration<double>(backoff));
    backoff *= 2;
  }
  std::error_code ec;
  std::filesystem::rename(part, destination, ec);
  if (ec) throw cannot_write("cannot rename " + part + " to " + destination + ": " + ec.message());
}

bool fetch_small_text(const std::string& url, std::string& text, const DownloadOptions& options) {
  CurlHandle h = make_handle(url, options);
  CURL* c = h.get();
  text.clear();
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION,
                   +[](char* data, size_t size, size_t n, void* user) -> size_t {
                     auto* s = static_cast<std::string*>(user);
                     if (s->size() > 65536) return 0;  // a checksum file is tiny
                     s->append(data, size * n);
                     return size * n;
                   });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &text);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  return curl_easy_perform(c) == CURLE_OK;
}

}  // namespace collab

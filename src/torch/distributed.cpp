// c10d for collab's data-parallel training (train/distributed.h): a store for the ranks to meet (a
// FileStore in --nproc's private folder, else a TCPStore), and a Gloo process group for the
// allgather of each step's errors (--dist replicate) and the block moves of --dist shard.
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "support/error.h"
#include "support/utf8.h"
#include "torch_common.h"
#include "torch_engines.h"

namespace collab::torch_backend {
namespace {

// c10d reports a peer that died, a timeout or a port in use as c10::Error or std::runtime_error.
template <class F>
auto reported(const std::string& doing, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    throw unavailable(doing + ": " + what.substr(0, what.find('\n')));
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw unavailable(doing + ": " + what.substr(0, what.find('\n')));
  }
}

// c10d also reads what the store and the other ranks send on threads of its own: LibTorch 1.13's
// TCPStore client keeps one reading its second connection to the store (for watchKey), and Gloo
// runs an event loop. They size what they read by lengths they were sent, so a store or peer that
// sends garbage (a length of 2^64 - 1) makes one of them throw where no caller can catch it, and
// the process would abort (134). Once a rank connects, such an end is the exchange's failure:
// one line and exit 69, as for a rank that went away. (_exit: other threads may hold locks.)
[[noreturn]] void exchange_thread_failed() {
  std::string what = "no exception";
  if (const std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const c10::Error& x) {
      what = x.what_without_backtrace();
    } catch (const std::exception& x) {
      what = x.what();
    } catch (...) {
      what = "an unknown exception";
    }
  }
  what = terminal_safe(what.substr(0, what.find('\n')));
  std::fprintf(
      stderr,
      "collab: error: exchanging with the other ranks failed: the store or a rank sent what could "
      "not be read, or went away (%s)\n",
      what.c_str());
  std::fflush(stderr);
  ::_exit(static_cast<int>(ExitCode::unavailable));
}

// Gloo binds the address its device is made for, so each rank needs its own host's address, not
// the master's: the one its packets to MASTER_ADDR leave from (a UDP connect sends nothing). On
// one machine that is 127.0.0.1 again. GLOO_SOCKET_IFNAME names an interface instead, as in
// PyTorch.
std::shared_ptr<gloo::transport::Device> gloo_device(const std::string& master_addr) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  std::string local = master_addr;
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(master_addr.c_str(), "9", &hints, &found) == 0 && found) {
    const int fd = ::socket(found->ai_family, SOCK_DGRAM, 0);
    sockaddr_storage mine{};
    socklen_t size = sizeof mine;
    char host[NI_MAXHOST];
    if (fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&mine), &size) == 0 &&
        ::getnameinfo(reinterpret_cast<sockaddr*>(&mine), size, host, sizeof host, nullptr, 0, NI_NUMERICHOST) == 0)
      local = host;
    if (fd >= 0) ::close(fd);
    ::freeaddrinfo(found);
  }
  return c10d::ProcessGroupGloo::createDeviceForHostname(local);
}

c10::intrusive_ptr<c10d::Store> meeting_store(const DistributedSetup& s,
                                              std::chrono::milliseconds timeout) {
  if (!s.store_dir.empty()) {
    // --nproc: a file in the launcher's private folder. Nothing listens on a port.
    auto store = c10::make_intrusive<c10d::FileStore>(s.store_dir + "/store", s.world_size);
    store->setTimeout(timeout);
    return store;
  }
  c10d::TCPStoreOptions o;
  o.port = static_cast<std::uint16_t>(s.master_port);
  // Under torchrun its agent runs the store; else rank 0 does (on every interface: LibTorch 1.13's
  // TCPStore takes no address to bind), and waits for the others.
  o.isServer = s.rank == 0 && !s.agent_store;
  o.numWorkers = s.agent_store ? c10::nullopt
                               : c10::optional<std::size_t>(static_cast<std::size_t>(s.world_size));
  o.waitWorkers = false;
  o.timeout = timeout;
  return c10::make_intrusive<c10d::TCPStore>(s.master_addr, o);
}

class GlooCommunicator final : public Communicator {
 public:
  explicit GlooCommunicator(const DistributedSetup& s)
      : rank_(s.rank), size_(s.world_size), timeout_(std::chrono::seconds(s.timeout_seconds)) {
    std::set_terminate(exchange_thread_failed);  // before the first of c10d's threads starts
    const std::string where = s.store_dir.empty()
                                  ? "at " + s.master_addr + ":" + std::to_string(s.master_port)
                                  : "in " + s.store_dir;
    reported("rank " + std::to_string(s.rank) + " could not meet the others " + where, [&] {
      auto store = meeting_store(s, timeout_);
      // Our keys apart from those of torchrun's agent in the same store, and from those of the
      // attempts before this one when torchrun restarted the group.
      const std::string prefix = s.attempt == 0 ? "collab" : "collab.attempt" + std::to_string(s.attempt);
      auto prefixed = c10::make_intrusive<c10d::PrefixStore>(prefix, store);
      store_ = c10::make_intrusive<c10d::PrefixStore>("kv", prefixed);  // store_*'s keys, apart from Gloo's
      auto options = c10d::ProcessGroupGloo::Options::create(timeout_);
      options->devices.push_back(gloo_device(s.master_addr));
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, s.rank, s.world_size, options);
    });
  }

  int rank() const override { return rank_; }
  int world_size() const override { return size_; }

  // Floats travel as bytes: an allgather only copies.
  void allgather(const float* mine, size_t count, float* all) override {
    allgather_bytes(mine, count * sizeof(float), all);
  }

  void allgather_bytes(const void* mine, size_t bytes, void* all) override {
    timed(bytes, "exchanging with the other ranks", [&] {
      std::vector<at::Tensor> in{bytes_tensor(const_cast<void*>(mine), bytes)};
      std::vector<std::vector<at::Tensor>> out(1);
      for (int r = 0; r < size_; ++r) out[0].push_back(bytes_tensor(static_cast<char*>(all) + static_cast<size_t>(r) * bytes, bytes));
      group_->allgather(out, in)->wait(timeout_);
    });
  }

  void exchange(const void* out, size_t out_bytes, int to, void* in, size_t in_bytes, int from) override {
    if (to == rank_ && from == rank_) {
      if (in_bytes != out_bytes) throw internal_error("a rank's exchange with itself changed size");
      if (in != out) std::memmove(in, out, out_bytes);
      return;
    }
    timed(out_bytes, "exchanging a block with rank " + std::to_string(to) + " and " + std::to_string(from), [&] {
      std::vector<at::Tensor> sent{bytes_tensor(const_cast<void*>(out), out_bytes)};
      std::vector<at::Tensor> received{bytes_tensor(in, in_bytes)};
      auto sending = group_->send(sent, to, kBlockTag);
      auto receiving = group_->recv(received, from, kBlockTag);
      sending->wait(timeout_);
      receiving->wait(timeout_);
    });
  }

  void send(const void* out, size_t bytes, int to) override {
    timed(bytes, "sending to rank " + std::to_string(to), [&] {
      std::vector<at::Tensor> sent{bytes_tensor(const_cast<void*>(out), bytes)};
      group_->send(sent, to, kBlockTag)->wait(timeout_);
    });
  }

  void receive(void* in, size_t bytes, int from) override {
    timed(0, "receiving from rank " + std::to_string(from), [&] {
      std::vector<at::Tensor> received{bytes_tensor(in, bytes)};
      group_->recv(received, from, kBlockTag)->wait(timeout_);
    });
  }

  Traffic traffic() const override { return traffic_; }

  void barrier() override {
    reported("waiting for the other ranks", [&] { group_->barrier()->wait(timeout_); });
  }

 private:
  static constexpr int kBlockTag = 7;  // sharded training's point-to-point messages

  static at::Tensor bytes_tensor(void* data, size_t bytes) {
    return torch::from_blob(data, {static_cast<long>(bytes)}, torch::TensorOptions().dtype(torch::kUInt8));
  }
  // Runs an exchange, counting its bytes and time, its failures one line and exit 69.
  template <class F>
  void timed(size_t bytes, const std::string& doing, F&& f) {
    const auto started = std::chrono::steady_clock::now();
    reported(doing + " (one stopped, or --dist-timeout passed)", f);
    ++traffic_.calls;
    traffic_.bytes_sent += bytes;
    traffic_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }

  int rank_, size_;
  std::chrono::milliseconds timeout_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
  Traffic traffic_;

  // The store the ranks met through, for Communicator::store_*. Each check, get or add is one
  // request: c10d's stores lock each of them, so that threads may share the store.
 public:
  void store_set(const std::string& key, const std::string& value) override {
    reported("writing to the ranks' store", [&] { store_->set(key, std::vector<uint8_t>(value.begin(), value.end())); });
  }
  std::optional<std::string> store_get(const std::string& key) override {
    return reported("reading the ranks' store", [&]() -> std::optional<std::string> {
      if (!store_->check({key})) return std::nullopt;
      const std::vector<uint8_t> value = store_->get(key);
      return std::string(value.begin(), value.end());
    });
  }
  std::int64_t store_add(const std::string& key, std::int64_t amount) override {
    return reported("adding in the ranks' store", [&] { return store_->add(key, amount); });
  }

 private:
  c10::intrusive_ptr<c10d::Store> store_;
};

}  // namespace

std::unique_ptr<Communicator> connect_gloo(const DistributedSetup& setup) {
  return std::make_unique<GlooCommunicator>(setup);
}

}  // namespace collab::torch_backend

// c10d for collab's data-parallel training (train/distributed.h): a store for the ranks to meet (a
// FileStore in --nproc's private folder, else a TCPStore), and a Gloo process group for the
// allgather of each step's errors.
#include <unistd.h>

#include <cstdio>
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
      // Our keys apart from those of torchrun's agent in the same store.
      auto prefixed = c10::make_intrusive<c10d::PrefixStore>("collab", store);
      store_ = c10::make_intrusive<c10d::PrefixStore>("kv", prefixed);  // store_*'s keys, apart from Gloo's
      auto options = c10d::ProcessGroupGloo::Options::create(timeout_);
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(s.master_addr));
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, s.rank, s.world_size, options);
    });
  }

  int rank() const override { return rank_; }
  int world_size() const override { return size_; }

  void allgather(const float* mine, size_t count, float* all) override {
    const auto started = std::chrono::steady_clock::now();
    reported("exchanging with the other ranks (one stopped, or --dist-timeout passed)", [&] {
      auto options = torch::TensorOptions().dtype(torch::kFloat32);
      std::vector<at::Tensor> in{torch::from_blob(const_cast<float*>(mine), {static_cast<long>(count)}, options)};
      std::vector<std::vector<at::Tensor>> out(1);
      for (int r = 0; r < size_; ++r)
        out[0].push_back(torch::from_blob(all + static_cast<size_t>(r) * count, {static_cast<long>(count)}, options));
      group_->allgather(out, in)->wait(timeout_);
    });
    ++traffic_.calls;
    traffic_.bytes_sent += count * sizeof(float);
    traffic_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }

  Traffic traffic() const override { return traffic_; }

  void barrier() override {
    reported("waiting for the other ranks", [&] { group_->barrier()->wait(timeout_); });
  }

 private:
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

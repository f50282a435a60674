#include "observability/metrics.hpp"

#include <fmt/format.h>

namespace convene::observability {

void Histogram::Observe(double seconds) {
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Histogram::Render(std::string& out, std::string_view name, std::string_view labels) const {
  std::uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, kBounds[i], cumulative);
  }
  cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
  out += fmt::format("{}_sum{{{}}} {}\n", name, labels,
                     static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6);
  out += fmt::format("{}_count{{{}}} {}\n", name, labels, count_.load(std::memory_order_relaxed));
}

void RouteStats::Record(int status, double seconds) {
  const int cls = status / 100;
  if (cls >= 1 && cls <= 5) by_class_[static_cast<std::size_t>(cls - 1)].Increment();
  latency_.Observe(seconds);
}

void RouteStats::Render(std::string& out, std::string_view method, std::string_view route) const {
  for (std::size_t i = 0; i < by_class_.size(); ++i) {
    const std::uint64_t v = by_class_[i].Value();
    if (v == 0) continue;
    out += fmt::format("convene_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}xx\"}} {}\n",
                       method, route, i + 1, v);
  }
}

void RouteStats::RenderLatency(std::string& out, std::string_view method,
                               std::string_view route) const {
  latency_.Render(out, "convene_http_request_duration_seconds",
                  fmt::format("method=\"{}\",route=\"{}\"", method, route));
}

RouteStats* Metrics::Route(std::string_view method, std::string_view pattern) {
  std::lock_guard lock(mutex_);
  auto& slot = routes_[{std::string(method), std::string(pattern)}];
  if (!slot) slot = std::make_unique<RouteStats>();
  return slot.get();
}

Counter* Metrics::GetCounter(std::string_view name, std::string_view help, std::string_view labels) {
  std::lock_guard lock(mutex_);
  CounterEntry& entry = counters_[std::string(name)];
  if (entry.help.empty()) entry.help = help;
  auto& slot = entry.by_labels[std::string(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return slot.get();
}

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  gauges_.push_back(GaugeEntry{std::move(name), std::move(help), std::move(read)});
}

std::string Metrics::Render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP convene_http_requests_total HTTP requests by route and status class.\n";
  out += "# TYPE convene_http_requests_total counter\n";
  for (const auto& [key, stats] : routes_) stats->Render(out, key.first, key.second);
  out += "# HELP convene_http_request_duration_seconds HTTP request latency by route.\n";
  out += "# TYPE convene_http_request_duration_seconds histogram\n";
  for (const auto& [key, stats] : routes_) {
    stats->RenderLatency(out, key.first, key.second);
  }
  for (const auto& [name, entry] : counters_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, entry.help, name);
    for (const auto& [labels, counter] : entry.by_labels) {
      out += labels.empty() ? fmt::format("{} {}\n", name, counter->Value())
                            : fmt::format("{}{{{}}} {}\n", name, labels, counter->Value());
    }
  }
  for (const GaugeEntry& g : gauges_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", g.name, g.help, g.name, g.name,
                       g.read());
  }
  return out;
}

}  // namespace convene::observability

// What the benchmarks share: elapsed time and percentiles of samples.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace layered::bench {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// The sample at fraction `p` (0.5 = median) of the sorted samples; 0 if none.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace layered::bench

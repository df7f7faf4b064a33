// The sampling controls' fields in a run's settings and in QSettings, mapped in one table so the
// three places that copy them (run request, restoring a dropped PNG, persistence) cannot drift.
#pragma once

#include "sample_worker.h"
#include "sampling_controls.h"

#include <QSettings>

#include <type_traits>

namespace cdrl::studio {

// Calls f(key, member of SamplingControlsState, member of SampleSettings) for every control.
template <typename F>
void forEachControl(F&& f) {
  using C = SamplingControlsState;
  using S = SampleSettings;
  f("guidance", &C::guidance, &S::guidance);
  f("steps", &C::steps, &S::steps);
  f("count", &C::count, &S::count);
  f("seed", &C::seed, &S::seed);
  f("noise", &C::noise, &S::noise);
  f("ema", &C::use_ema, &S::use_ema);
}

inline SamplingControlsState controlsOf(const SampleSettings& s) {
  SamplingControlsState c;
  forEachControl([&](const char*, auto cm, auto sm) { c.*cm = s.*sm; });
  return c;
}

inline void setControls(SampleSettings& s, const SamplingControlsState& c) {
  forEachControl([&](const char*, auto cm, auto sm) { s.*sm = c.*cm; });
}

// Under "sampling/<key>"; missing keys keep the defaults.
inline SamplingControlsState loadControls(const QSettings& settings) {
  SamplingControlsState c;
  forEachControl([&](const char* key, auto cm, auto) {
    using T = std::decay_t<decltype(c.*cm)>;
    c.*cm =
        settings.value(QString("sampling/") + key, QVariant::fromValue(c.*cm)).template value<T>();
  });
  return c;
}

inline void saveControls(QSettings& settings, const SamplingControlsState& c) {
  forEachControl([&](const char* key, auto cm, auto) {
    settings.setValue(QString("sampling/") + key, QVariant::fromValue(c.*cm));
  });
}

}  // namespace cdrl::studio

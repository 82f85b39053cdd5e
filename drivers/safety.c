/* The safety layer between a controller and a driver: pure functions on numbers. */
#include <math.h>
#include <string.h>

#include "tracebot/drivers.h"

void ag_defaultSafety(agSafetyConfig *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->max_violations = -1;
}

/* True when the box is empty (lo == hi on every axis: "no box"). */
static int noBox(const double lo[3], const double hi[3]) {
  return lo[0] == hi[0] && lo[1] == hi[1] && lo[2] == hi[2];
}

/* The tighter of two limits where 0 (or less, or non-finite) means "none". */
static double tighter(double a, double b) {
  int ha = isfinite(a) && a > 0.0;
  int hb = isfinite(b) && b > 0.0;
  if (ha && hb) {
    return fmin(a, b);
  }
  return ha ? a : (hb ? b : 0.0);
}

void ag_mergeSafety(const agSafetyConfig *cfg, const agDriverCaps *caps, agSafetyConfig *out) {
  agSafetyConfig m = *cfg;

  /* Box: intersection; if it is empty the driver's own box is the safe one */
  if (!noBox(caps->workspace_lo, caps->workspace_hi)) {
    if (noBox(cfg->workspace_lo, cfg->workspace_hi)) {
      memcpy(m.workspace_lo, caps->workspace_lo, sizeof(m.workspace_lo));
      memcpy(m.workspace_hi, caps->workspace_hi, sizeof(m.workspace_hi));
    } else {
      int empty = 0;
      for (int i = 0; i < 3; i++) {
        m.workspace_lo[i] = fmax(cfg->workspace_lo[i], caps->workspace_lo[i]);
        m.workspace_hi[i] = fmin(cfg->workspace_hi[i], caps->workspace_hi[i]);
        empty |= m.workspace_lo[i] > m.workspace_hi[i];
      }
      if (empty) {
        memcpy(m.workspace_lo, caps->workspace_lo, sizeof(m.workspace_lo));
        memcpy(m.workspace_hi, caps->workspace_hi, sizeof(m.workspace_hi));
      }
    }
  }

  /* Limits: the smaller one wins; the step duration is the driver's when it has one */
  m.max_step = tighter(cfg->max_step, caps->max_step);
  m.max_speed = tighter(cfg->max_speed, caps->max_speed);
  if (isfinite(caps->step_duration) && caps->step_duration > 0.0) {
    m.step_duration = caps->step_duration;
  }
  *out = m;
}

int ag_safetyFilter(const agSafetyConfig *cfg, const double hand[3], const double target[3],
                    double gripper, double out_target[3], double *out_gripper) {
  /* Reject non-finite input before anything else */
  if (!isfinite(target[0]) || !isfinite(target[1]) || !isfinite(target[2]) || !isfinite(gripper) ||
      !isfinite(hand[0]) || !isfinite(hand[1]) || !isfinite(hand[2])) {
    return AG_SAFE_REJECT;
  }
  int mask = 0;
  double t[3] = {target[0], target[1], target[2]};

  /* Workspace box */
  if (!noBox(cfg->workspace_lo, cfg->workspace_hi)) {
    for (int i = 0; i < 3; i++) {
      double c = fmin(fmax(t[i], cfg->workspace_lo[i]), cfg->workspace_hi[i]);
      if (c != t[i]) {
        mask |= AG_SAFE_WORKSPACE;
        t[i] = c;
      }
    }
  }

  /* Displacement and speed: pull the target back along the line to the hand */
  double step_lim = cfg->max_step > 0.0 ? cfg->max_step : INFINITY;
  double speed_lim = cfg->max_speed > 0.0 && cfg->step_duration > 0.0
                         ? cfg->max_speed * cfg->step_duration
                         : INFINITY;
  double lim = fmin(step_lim, speed_lim);
  double d[3] = {t[0] - hand[0], t[1] - hand[1], t[2] - hand[2]};
  double norm = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
  if (isfinite(lim) && norm > lim) {
    double s = lim / norm;
    for (int i = 0; i < 3; i++) {
      t[i] = hand[i] + d[i] * s;
    }
    mask |= speed_lim < step_lim ? AG_SAFE_SPEED : AG_SAFE_STEP;
  }

  /* Gripper effort */
  double g = fmin(fmax(gripper, -1.0), 1.0);
  if (g != gripper) {
    mask |= AG_SAFE_GRIPPER;
  }

  memcpy(out_target, t, sizeof(t));
  *out_gripper = g;
  return mask;
}

void ag_safetyCount(agSafetyCounts *counts, int mask) {
  if (mask & AG_SAFE_REJECT) {
    counts->nonfinite++;
    return;
  }
  if (mask & AG_SAFE_WORKSPACE) {
    counts->workspace_clamps++;
  }
  if (mask & AG_SAFE_STEP) {
    counts->step_limits++;
  }
  if (mask & AG_SAFE_SPEED) {
    counts->speed_limits++;
  }
  if (mask & (AG_SAFE_WORKSPACE | AG_SAFE_STEP | AG_SAFE_SPEED)) {
    counts->violations++;
  }
  if (mask & AG_SAFE_GRIPPER) {
    counts->gripper_clamps++;
  }
}

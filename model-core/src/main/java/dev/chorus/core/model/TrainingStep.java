package dev.chorus.core.model;

import dev.chorus.core.loss.L1Penalty;
import dev.chorus.core.loss.L2Penalty;
import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.optim.GradientClipping;
import dev.chorus.core.optim.Optimizer;

/**
 * The one update every learner applies once its backward pass has set the gradients, to groups of parameters that
 * each have their own optimizer (the {@link OnlineLearner}'s network is one group; a Doctor Net's body and each
 * head it trained are one each). In this order, which saved models and savepoints depend on bit for bit: the L2
 * gradient; clipping of the global gradient norm over all groups together; the {@link NumericGuard}'s check of the
 * loss and gradients; each group's optimizer step at the scheduled learning rate, then its L1 proximal step at the
 * same rate; and, after a step with gradients (or a learning rate times them) large enough to overflow, the guard's
 * check of the parameters and the optimizers' state.
 *
 * <p>Not thread-safe; allocates only for the backups of such a risky step.
 */
public final class TrainingStep {

  private final ModelSpec spec;
  private final L2Penalty l2;
  private final L1Penalty l1;
  private final NumericGuard guard = new NumericGuard();

  public TrainingStep(ModelSpec spec) {
    this.spec = spec;
    this.l2 = spec.l2() > 0 ? new L2Penalty(spec.l2()) : null;
    this.l1 = spec.l1() > 0 ? new L1Penalty(spec.l1()) : null;
  }

  /**
   * Updates {@code groups[0 .. count)}, group {@code g} with {@code optimizers[g]}, as the learner's update number
   * {@code steps + 1} (the schedule's {@code t} is {@code steps}: the updates its optimizer has applied, which a
   * carried warm start carries), after a minibatch whose loss was {@code loss}.
   *
   * @return null, or why the update is refused; then every parameter and optimizer state is as it was: values are
   *     restored in place, and where an optimizer had stepped, {@code optimizers[g]} is replaced by its backup, so
   *     the caller must take its optimizers back from the array
   */
  public String apply(ParameterSet[] groups, Optimizer[] optimizers, int count, double loss, long steps) {
    if (l2 != null) {
      for (int g = 0; g < count; g++) {
        l2.addPenaltyGradient(groups[g]);
      }
    }
    if (spec.clipNorm() > 0) {
      GradientClipping.clipByGlobalNorm(groups, count, spec.clipNorm());
    }
    String problem = guard.check(loss, groups, count);
    if (problem != null) {
      return problem;
    }
    float learningRate = (float) spec.schedule().learningRate(spec.optimizer().learningRate(), steps);
    float[][][] valuesBackup = null;
    Optimizer[] optimizersBackup = null;
    if (guard.risky(learningRate)) {
      valuesBackup = new float[count][][];
      optimizersBackup = new Optimizer[count];
      for (int g = 0; g < count; g++) {
        valuesBackup[g] = NumericGuard.values(groups[g]);
        optimizersBackup[g] = optimizers[g].copy();
      }
    }
    // The groups share no parameter, so their order here does not change a bit.
    for (int g = 0; g < count; g++) {
      optimizers[g].step(groups[g], learningRate);
      if (l1 != null) {
        l1.proximalStep(groups[g], learningRate);
      }
    }
    String overflow = valuesBackup == null ? null : NumericGuard.nonFiniteParameter(groups, count);
    for (int g = 0; valuesBackup != null && overflow == null && g < count; g++) {
      overflow = optimizers[g].firstNonFiniteState();
    }
    if (overflow != null) {
      for (int g = 0; g < count; g++) {
        NumericGuard.restore(groups[g], valuesBackup[g]);
        optimizers[g] = optimizersBackup[g];
      }
      return overflow + " after a step with gradients up to " + guard.maxAbsGradient() + " at learning rate "
          + learningRate;
    }
    return null;
  }
}

package dev.chorus.core.annotators;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.LearnerWarmStart;
import dev.chorus.core.model.ModelSpec;
import java.util.List;

/**
 * A label model that starts from a saved one (a warm start): its classifier as {@link LearnerWarmStart} starts a
 * learner, and what the saved model learned of the annotators, their slots and confusions, which are estimates, not
 * optimizer state: they come along with {@code carry} and with {@code reset} alike, and "reset" restarts the
 * classifier's optimizer only. The per-item label history starts empty: its items are the saved model's stream's.
 * The methods whose state is a classifier beside the confusions take one; doctor-net's, a network per annotator,
 * none.
 */
public final class LabelModelWarmStart {
  /** The methods that take a warm start. */
  public static final List<String> METHODS =
      List.of(NaiveLabelModel.NAME, MajorityLabelModel.NAME, SoftLabelModel.NAME, DawidSkeneLabelModel.NAME);

  private LabelModelWarmStart() {}

  /**
   * Starts a label model of {@code spec} (its method one of {@link #METHODS}) from the saved label model
   * {@code model}.
   *
   * @throws IllegalArgumentException if the bytes are no saved label model, or its method, annotator bound or
   *     classifier's shape differs from {@code spec}'s, naming the key, the expected and the actual value
   */
  public static LabelModel start(ModelSpec spec, byte[] model, boolean carryOptimizer) {
    LabelModel read = LearnerWarmStart.saved(model, "label model (a snapshot of a label-model variant)",
        LabelModels::fromBytes);
    LabelModelSpec config = spec.labelModel();
    LearnerWarmStart.requireFits(LearnerWarmStart.difference(spec, read.spec(), carryOptimizer,
        new Object[] {"labelModel.method", config.method(), read.name()},
        new Object[] {"labelModel.maxAnnotators", config.maxAnnotators(), read.maxAnnotators()},
        new Object[] {"layers", LearnerWarmStart.layers(spec), LearnerWarmStart.layers(read.spec())}));
    ClassifierLabelModel saved = (ClassifierLabelModel) read;
    ClassifierLabelModel.Parts parts = new ClassifierLabelModel.Parts(
        LearnerWarmStart.startFrom(spec, saved.learner(), carryOptimizer), saved.registry.copy(),
        saved.estimates.copy().forgetWithHalfLife(config.halfLifeLabels()), ItemLabelHistory.bounded(config));
    return switch (config.method()) {
      case NaiveLabelModel.NAME -> new NaiveLabelModel(parts);
      case MajorityLabelModel.NAME -> new MajorityLabelModel(parts);
      case SoftLabelModel.NAME -> new SoftLabelModel(parts);
      default -> new DawidSkeneLabelModel(parts);
    };
  }
}

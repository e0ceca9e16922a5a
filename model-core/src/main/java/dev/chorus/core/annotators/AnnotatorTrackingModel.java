package dev.chorus.core.annotators;

import java.util.List;

/**
 * What every label model keeps about its annotators, and how it reports them: the registry of annotator slots
 * with their label counts, and one confusion estimate per slot.
 */
abstract class AnnotatorTrackingModel implements LabelModel {

  protected final AnnotatorRegistry registry;
  protected final ConfusionEstimates estimates;

  AnnotatorTrackingModel(AnnotatorRegistry registry, ConfusionEstimates estimates) {
    this.registry = registry;
    this.estimates = estimates;
  }

  @Override
  public int maxAnnotators() {
    return registry.maxAnnotators();
  }

  @Override
  public boolean knowsAnnotator(String id) {
    return registry.slotOf(id) >= 0;
  }

  @Override
  public int annotatorCount() {
    return registry.size();
  }

  @Override
  public long labelsSeen(String id) {
    return registry.labelsSeen(id);
  }

  @Override
  public List<String> annotatorIds() {
    return registry.ids();
  }

  /** Annotators have no averaging weight unless a method overrides {@link #weightOf}. */
  @Override
  public AnnotatorModel annotator(String id) {
    int slot = registry.slotOf(id);
    double[][] confusion = slot < 0 ? estimates.priorMatrix() : estimates.matrix(slot);
    return new AnnotatorModel(id, confusion, ConfusionEstimates.reliability(confusion, estimates.classPrior()),
        weightOf(slot), slot < 0 ? 0 : registry.labelsSeen(slot));
  }

  /** The averaging weight of the annotator in {@code slot} (-1: one not seen yet), or NaN for a method without. */
  protected double weightOf(int slot) {
    return Double.NaN;
  }
}

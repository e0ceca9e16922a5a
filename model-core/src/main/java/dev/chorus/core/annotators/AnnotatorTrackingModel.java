package dev.chorus.core.annotators;

import java.util.ArrayList;
import java.util.List;

/**
 * What every label model keeps about its annotators, and how it reports them: the registry of annotator slots
 * with their label counts, and one confusion estimate per slot; and how every label model trains, as one
 * transaction.
 *
 * <p>When every slot is taken, a new annotator evicts the least recently seen one with few labels
 * ({@link AnnotatorRegistry}); {@link #register} resets what the model kept for the slot.
 *
 * <p>{@link #train} validates the minibatch, marks every part of the state that an update changes (registry,
 * confusions, and what {@link #mark()} adds: item history, network heads and standardiser, averaging weights), and
 * runs the method's {@link #update}. A minibatch that the classifier or network rejects (a non-finite feature,
 * loss, gradient or parameter: {@link dev.chorus.core.model.NonFiniteUpdateException} or
 * {@link IllegalArgumentException}) throws out of the update after the annotators' confusions, counts and the item
 * history have moved; every part then rolls back to its mark, so the whole model is byte for byte as before the
 * minibatch. The learners leave their parameters and optimizer state untouched when they reject, so the marks only
 * cover what an update touches before that: the cost per minibatch is O(K) plus a copy of each touched annotator's
 * confusion, not a copy of the model.
 */
abstract class AnnotatorTrackingModel implements LabelModel {

  protected final AnnotatorRegistry registry;
  protected final ConfusionEstimates estimates;

  AnnotatorTrackingModel(AnnotatorRegistry registry, ConfusionEstimates estimates) {
    this.registry = registry;
    this.estimates = estimates;
  }

  @Override
  public final void train(float[] x, long[] items, String[] annotators, int[] labels, int n) {
    LabelModels.validate(x, inputDim(), numClasses(), items, annotators, labels, n);
    registry.begin(annotators, n);
    estimates.mark();
    mark();
    try {
      update(x, items, annotators, labels, n);
    } catch (RuntimeException e) {
      registry.rollback();
      estimates.rollback();
      rollback();
      throw e;
    }
  }

  /**
   * The slot of {@code id}, registering it if new ({@link AnnotatorRegistry#register}); when that evicts the slot's
   * annotator, its confusion returns to the prior and the method forgets what it kept for it ({@link #forget}), so
   * the new annotator starts as any new one. Inside {@link #train}, all of it rolls back with the rest.
   */
  protected final int register(String id) {
    long evictions = registry.evictions();
    int slot = registry.register(id);
    if (registry.evictions() != evictions) {
      estimates.reset(slot);
      forget(slot);
    }
    return slot;
  }

  /** Forgets the method's own state of {@code slot}, whose annotator was evicted (see {@link #register}). */
  protected abstract void forget(int slot);

  @Override
  public String firstNonFinite() {
    String bad = classifierNonFinite();
    return bad != null ? bad : estimates.firstNonFinite();
  }

  /** {@link #firstNonFinite} of what predicts the true class: the classifier, or the Doctor Net's body and heads. */
  protected abstract String classifierNonFinite();

  @Override
  public String firstRefusedAnnotator(String[] annotators, int n) {
    return registry.firstRefused(annotators, n);
  }

  @Override
  public long annotatorEvictions() {
    return registry.evictions();
  }

  /** One minibatch's update, arguments checked; {@link #train} undoes what it changed if it throws. */
  protected abstract void update(float[] x, long[] items, String[] annotators, int[] labels, int n);

  /** Marks the method's own state besides registry and confusions (see {@link #train}). */
  protected abstract void mark();

  /** Returns the method's own state to its last {@link #mark()}. */
  protected abstract void rollback();

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

  @Override
  public ItemConsensus consensus(long item, float[] prior) {
    ItemLabelHistory history = history();
    if (history == null) {
      return null;
    }
    int[] slots = new int[history.maxLabelsPerItem()];
    int[] labels = new int[slots.length];
    int count = history.labels(item, slots, labels);
    if (count == 0) {
      return null;
    }
    int k = numClasses();
    double[] p = estimates.classPrior();
    if (prior != null && isClassDistribution(prior, k)) {
      for (int c = 0; c < k; c++) {
        p[c] = prior[c];
      }
    }
    double[] posterior = new double[k];
    ItemConsensus.posterior(p, estimates.confusions(), k, slots, labels, count, posterior);
    List<String> annotators = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      annotators.add(registry.id(slots[i]));
    }
    return new ItemConsensus(posterior, ItemConsensus.argmax(posterior), count, annotators);
  }

  /**
   * Whether the first {@code k} of {@code p} are finite, non-negative and not all zero, so that the E-step may read
   * them as a prior: a prediction that overflowed is not, and would make the posterior NaN (or rest it on the E-step's
   * floors alone).
   */
  static boolean isClassDistribution(float[] p, int k) {
    double sum = 0;
    for (int c = 0; c < k; c++) {
      if (!(p[c] >= 0) || p[c] == Float.POSITIVE_INFINITY) {
        return false;
      }
      sum += p[c];
    }
    return sum > 0;
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

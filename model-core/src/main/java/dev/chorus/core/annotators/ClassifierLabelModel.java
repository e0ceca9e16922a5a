package dev.chorus.core.annotators;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.NumericGuard;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.TrainedModel;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * The label models that train one {@link OnlineLearner} on a soft target per label event (naive, majority,
 * soft, Dawid–Skene). Subclasses only say what the target is ({@link #target}) and which distribution over
 * the true class the annotator's confusion is updated against ({@link #reference}).
 *
 * <p>One {@link #train} call: for each event, in order, register the annotator, take the classifier's
 * prediction for the item (before this minibatch's update), remember the label in the item history, compute
 * the target and the reference, update the class prior and the annotator's confusion
 * ({@link ConfusionEstimates#mStep}); then one {@link OnlineLearner#trainMinibatchSoft} step on all targets. A label
 * the history already holds from the same annotator for the item ({@link ItemLabelHistory#remembers}) is not counted
 * again and updates neither the class prior nor any confusion: only the classifier trains on it again. A relabel, a
 * different label from an annotator the item's history holds one from, replaces the earlier label there, and so in the
 * counts and estimates too: it is not counted again, and before it is credited as any label is, what the earlier label
 * credited its annotator's confusion and the class prior is taken back ({@link #credited},
 * {@link ConfusionEstimates#withdraw}). The classifier cannot unlearn the earlier label's steps: it trains on the new
 * one.
 * Invalid arguments and annotators past the bound are rejected before anything changes; a minibatch that the
 * classifier rejects (a non-finite feature, prediction, loss or gradient) leaves the whole model as it was
 * ({@link AnnotatorTrackingModel#train}): the classifier guards itself, the rest rolls back.
 *
 * <p>With the spec's {@code averaging}, {@link #predictProba} reads the averaged classifier
 * ({@link OnlineLearner#servingModel()}); training reads the live one ({@link OnlineLearner#model()}), but for
 * Dawid–Skene's E-step ({@link #viewModel}).
 */
public abstract class ClassifierLabelModel extends AnnotatorTrackingModel {

  /** Parts of the state, shared by the constructors of fresh and restored models. */
  record Parts(OnlineLearner learner, AnnotatorRegistry registry, ConfusionEstimates estimates,
      ItemLabelHistory history) {}

  protected final OnlineLearner learner;
  /** {@code null} only in a naive model saved before naive kept a history. */
  protected final ItemLabelHistory history;
  private final int k;
  private final int d;
  private final float[] predicted;
  private final float[] target;
  private final int[] itemSlots;
  private final int[] itemLabels;
  /** What a replaced label credited, in {@link #update}. */
  private final float[] withdrawn;
  private float[] targets = new float[0];
  private float[] predictions = new float[0];

  /** @throws IllegalArgumentException unless {@code spec} is a classifier whose loss takes soft targets */
  static void requireSuitable(ModelSpec spec) {
    if (!spec.isClassifier() || !spec.classificationLoss().supportsSoftTargets()) {
      throw new IllegalArgumentException("a label model needs a classifier whose loss takes soft targets "
          + "(softmax-cross-entropy, logistic, softmax-squared-error), got " + spec.algorithm() + " with loss "
          + spec.loss());
    }
  }

  static Parts freshParts(ModelSpec spec, LabelModelSpec config) {
    requireSuitable(spec);
    ConfusionEstimates estimates = spec.inputDim() == 0
        ? ConfusionEstimates.labelOnly(spec.numClasses(), config.maxAnnotators())
        : new ConfusionEstimates(spec.numClasses(), config.maxAnnotators());
    return new Parts(OnlineLearner.create(spec), new AnnotatorRegistry(config.maxAnnotators(), config.protectedLabels()),
        estimates.forgetWithHalfLife(config.halfLifeLabels()), ItemLabelHistory.bounded(config));
  }

  ClassifierLabelModel(Parts parts) {
    super(parts.registry(), parts.estimates());
    this.learner = parts.learner();
    this.history = parts.history();
    this.k = learner.numClasses();
    this.d = learner.inputDim();
    this.predicted = new float[k];
    this.target = new float[k];
    this.withdrawn = new float[k];
    int perItem = history == null ? 1 : history.maxLabelsPerItem();
    this.itemSlots = new int[perItem];
    this.itemLabels = new int[perItem];
  }

  /** The parts of a deep copy. */
  Parts copyParts() {
    return new Parts(learner.copy(), registry.copy(), estimates.copy(), history == null ? null : history.copy());
  }

  /**
   * The classifier that gives {@link #target} and {@link #reference} their predictions: the live one, unless a method
   * overrides it (Dawid–Skene reads its classifier's average).
   */
  protected TrainedModel viewModel() {
    return learner.model();
  }

  /** Writes what a method saves after the classifier (format 6 on); nothing by default. */
  protected void writeAfterClassifier(DataOutput out) throws IOException {}

  /** Reads what {@link #writeAfterClassifier} wrote, from a stream of format {@code version}. */
  protected void readAfterClassifier(DataInput in, int version) throws IOException {}

  /**
   * Writes the target for one label event into {@code target[0 .. K)}.
   *
   * @param predicted the classifier's class probabilities for the item
   * @param label the new label
   * @param count labels remembered for the item, the new one last (1 without a history)
   * @param slots annotator slots of those labels
   * @param labels those labels
   */
  protected abstract void target(float[] predicted, int label, int count, int[] slots, int[] labels, float[] target);

  /**
   * The distribution over the item's true class that the annotator's confusion is updated against: the
   * classifier's soft prediction, unless a method overrides it (Dawid–Skene uses its posterior, the target). Not
   * its argmax: a one-hot reference credits every label to the predicted class however unsure the classifier is,
   * which inflates the confusion of whichever class the classifier favours. May return a buffer that the next call
   * overwrites.
   *
   * @param count labels remembered for the item, the new one included
   */
  protected float[] reference(float[] predicted, float[] target, int count) {
    return predicted;
  }

  /**
   * Updates {@code slot}'s confusion for its label {@code label} against {@code reference}: {@link ConfusionEstimates#mStep}
   * unless a method overrides it.
   *
   * @param count labels remembered for the item, the new one included
   */
  protected void confusionStep(int slot, int label, float[] reference, int count) {
    estimates.mStep(slot, label, reference);
  }

  /**
   * What label {@code at} of the item's {@code count} remembered labels has credited its annotator's confusion and the
   * class prior, for taking back when its annotator replaces it: the reference it would be credited with now
   * ({@link #target}, {@link #reference}) unless a method overrides it. The reference of then is not kept: the
   * classifier's prediction has moved since (and with it, for Dawid–Skene, the other annotators' confusions).
   *
   * @param credit receives the estimate, length {@code K}
   */
  protected void credited(float[] predicted, int count, int[] slots, int[] labels, int at, float[] credit) {
    target(predicted, labels[at], count, slots, labels, target);
    System.arraycopy(reference(predicted, target, count), 0, credit, 0, k);
  }

  /**
   * After the new label's M-step, revises what the item's earlier labels ({@code i < count − 1}) credited their
   * annotators, now that the item's posterior is {@code target}; nothing by default.
   *
   * @param replaced when the new label replaced its annotator's earlier one, what that one had credited
   *     ({@link #credited}); else {@code null}
   */
  protected void revise(float[] target, float[] replaced, int count, int[] slots, int[] labels) {}

  @Override
  public int numClasses() {
    return k;
  }

  @Override
  public int inputDim() {
    return d;
  }

  @Override
  public ModelSpec spec() {
    return learner.spec();
  }

  @Override
  public long steps() {
    return learner.steps();
  }

  @Override
  public long examplesSeen() {
    return learner.examplesSeen();
  }

  /** The classifier, for inspection. */
  public OnlineLearner learner() {
    return learner;
  }

  @Override
  public ItemLabelHistory history() {
    return history;
  }

  @Override
  protected void mark() {
    if (history != null) {
      history.mark();
    }
  }

  @Override
  protected void rollback() {
    if (history != null) {
      history.rollback();
    }
  }

  @Override
  protected void forget(int slot) {
    if (history != null) {
      history.forgetSlot(slot);
    }
  }

  @Override
  protected void update(float[] x, long[] items, String[] annotators, int[] labels, int n) {
    if (targets.length < n * k) {
      targets = new float[n * k];
      predictions = new float[n * k];
    }
    // The classifier's view of every item before this minibatch's update, in one batched pass.
    viewModel().predictProbaBatch(x, n, predictions);
    requireFinitePredictions(x, n);
    for (int e = 0; e < n; e++) {
      int slot = register(annotators[e]);
      // A label the item has from this annotator already (a second pass, a record sent twice) is no new evidence: the
      // history holds it once, so it is counted and credited once; the classifier still trains on the event. A relabel
      // replaces the annotator's label of the item: it is not counted again, and the earlier label's credit goes.
      int earlier = history == null ? -1 : history.labelOf(items[e], slot);
      boolean repeated = earlier == labels[e];
      boolean relabel = earlier >= 0 && !repeated;
      if (earlier < 0) {
        registry.countLabel(slot);
      }
      System.arraycopy(predictions, e * k, predicted, 0, k);
      if (relabel) {
        int remembered = history.labels(items[e], itemSlots, itemLabels);
        int at = 0;
        while (itemSlots[at] != slot) {
          at++;
        }
        credited(predicted, remembered, itemSlots, itemLabels, at, withdrawn);
        estimates.withdraw(slot, earlier, withdrawn);
      }
      int count = 1;
      itemSlots[0] = slot;
      itemLabels[0] = labels[e];
      if (history != null) {
        history.add(items[e], slot, labels[e]);
        count = history.labels(items[e], itemSlots, itemLabels);
      }
      target(predicted, labels[e], count, itemSlots, itemLabels, target);
      if (!repeated) {
        float[] reference = reference(predicted, target, count);
        estimates.observeClass(reference);
        confusionStep(slot, labels[e], reference, count);
        revise(target, relabel ? withdrawn : null, count, itemSlots, itemLabels);
      }
      System.arraycopy(target, 0, targets, e * k, k);
    }
    learner.trainMinibatchSoft(x, targets, null, n);
  }

  /**
   * A non-finite prediction would become a non-finite target, which the classifier refuses as an invalid argument:
   * it comes from a non-finite feature (rejected as the classifier rejects one) or from finite features too large
   * for the network (rejected as a non-finite update, which the train job counts and drops).
   */
  private void requireFinitePredictions(float[] x, int n) {
    float sum = 0;
    for (int i = 0, end = n * k; i < end; i++) {
      sum += predictions[i];
    }
    if (Float.isFinite(sum)) {
      return;
    }
    IllegalArgumentException feature = NumericGuard.nonFiniteFeature("train", x, n, d);
    if (feature != null) {
      throw feature;
    }
    for (int i = 0; ; i++) {
      if (!Float.isFinite(predictions[i])) {
        throw NumericGuard.rejection(n, learner.steps() + 1, "the classifier's probability of class " + (i % k)
            + " for event " + (i / k) + " is " + predictions[i] + " (expected a finite value)");
      }
    }
  }

  @Override
  public void predictProba(float[] x, int xOffset, float[] out) {
    learner.predictProba(x, xOffset, out);
  }

  @Override
  protected String classifierNonFinite() {
    String bad = learner.firstNonFinite();
    return bad == null ? null : "classifier " + bad;
  }

  /** The confusion estimates, for inspection; changing them changes this model. */
  public ConfusionEstimates estimates() {
    return estimates;
  }

  @Override
  public void writeTo(DataOutput out) throws IOException {
    write(out, history);
  }

  @Override
  public byte[] toSnapshotBytes() {
    return LabelModels.bytes(out -> write(out, history == null ? null : history.emptyCopy()));
  }

  private void write(DataOutput out, ItemLabelHistory history) throws IOException {
    LabelModels.writeHeader(out, name());
    registry.writeTo(out);
    estimates.writeTo(out);
    estimates.writeSharedLabels(out);
    out.writeBoolean(history != null);
    if (history != null) {
      history.writeTo(out);
    }
    learner.writeTo(out);
    writeAfterClassifier(out);
  }

  /** One-hot {@code label} into {@code target}. */
  static void oneHot(int label, float[] target) {
    Arrays.fill(target, 0f);
    target[label] = 1f;
  }
}

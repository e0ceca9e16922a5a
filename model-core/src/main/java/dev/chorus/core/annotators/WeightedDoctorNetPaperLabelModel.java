package dev.chorus.core.annotators;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.tensor.Finite;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * {@code weighted-doctor-net-paper}: the Weighted Doctor Net of Guan, Gulshan, Dai and Hinton ("Who said what:
 * modeling individual labelers improves classification", AAAI 2018) as the paper has it, learned online. A
 * {@link DoctorNet} (shared body, one softmax head per annotator) whose heads train on their own annotator's labels,
 * exactly as {@code doctor-net}'s do, plus one averaging logit per annotator; the prediction is the plain weighted
 * mean of all heads, weights = softmax of the logits.
 *
 * <p>The paper learns the weights with the Doctor Net frozen, on data the heads were not trained on. Online, each
 * minibatch is that data before the heads see it (prequentially): first, with the network untouched, for each event
 * in order the logits take one gradient step ({@link #WEIGHT_LEARNING_RATE}) on the cross-entropy between the
 * event's label and the weighted mean of all heads ({@link WeightedDoctorNetLabelModel#logitGradient}); then the
 * body and heads take their Doctor Net step on the minibatch. The paper's target, the mean of an image's labels, is
 * the expectation of this per-label target, so an item's labels arriving far apart need no history to train; since
 * label-model format 4 it remembers them all the same, for each item's consensus. A new annotator's logit starts at
 * the mean of the others, its head at the mean head.
 *
 * <p>Confusions, for reporting annotators, are estimated as {@code doctor-net}'s: against the soft prediction, before
 * each event's weight step, each remembered label counted and credited once ({@link DoctorNetLabelModel}). A label the
 * item has from its annotator already still takes its weight step and trains the network, as a classifier trains on
 * it again; a relabel takes back what the replaced label credited, estimated as the current prediction.
 */
public final class WeightedDoctorNetPaperLabelModel extends DoctorNetModel {

  public static final String NAME = "weighted-doctor-net-paper";
  /** Step size of the plain gradient steps on the averaging logits, one per label event. */
  public static final double WEIGHT_LEARNING_RATE = 0.05;

  private final double[] logits;
  /** The logits at the last {@link #mark()}. */
  private final double[] markedLogits;
  private final float[] mixed;
  private final float[] reference;
  private final float[] target;
  private final float[] headScratch;
  private float[][] heads = new float[0][];
  private double[] alpha = new double[0];
  private double[] gradient = new double[0];
  private int[] slots = new int[0];

  /** @throws IllegalArgumentException if the spec does not suit a {@link DoctorNet} */
  public WeightedDoctorNetPaperLabelModel(ModelSpec spec, LabelModelSpec config) {
    this(new DoctorNet(spec, config.maxAnnotators()),
        new AnnotatorRegistry(config.maxAnnotators(), config.protectedLabels()),
        new ConfusionEstimates(spec.numClasses(), config.maxAnnotators()).forgetWithHalfLife(config.halfLifeLabels()),
        ItemLabelHistory.bounded(config), new double[config.maxAnnotators()]);
  }

  private WeightedDoctorNetPaperLabelModel(DoctorNet net, AnnotatorRegistry registry, ConfusionEstimates estimates,
      ItemLabelHistory remembered, double[] logits) {
    super(net, registry, estimates, remembered);
    this.logits = logits;
    this.markedLogits = new double[logits.length];
    this.mixed = new float[net.numClasses()];
    this.reference = new float[net.numClasses()];
    this.target = new float[net.numClasses()];
    this.headScratch = new float[net.numClasses()];
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  protected void mark() {
    super.mark();
    System.arraycopy(logits, 0, markedLogits, 0, logits.length);
  }

  @Override
  protected void rollback() {
    super.rollback();
    System.arraycopy(markedLogits, 0, logits, 0, logits.length);
  }

  /** The slot gets a new annotator's head and logit. */
  @Override
  protected void forget(int slot) {
    super.forget(slot);
    logits[slot] = WeightedDoctorNetLabelModel.meanLogitOfOthers(logits, registry.size(), slot);
  }

  @Override
  protected void update(float[] x, long[] items, String[] annotators, int[] labels, int n) {
    if (slots.length < n) {
      slots = new int[n];
    }
    for (int e = 0; e < n; e++) {
      int before = registry.size();
      slots[e] = register(annotators[e]);
      if (registry.size() > before) {
        logits[slots[e]] = WeightedDoctorNetLabelModel.meanLogit(logits, before);
      }
      net.ensureHead(slots[e]);
    }
    int count = net.headCount();
    if (heads.length < count) {
      heads = new float[count][numClasses()];
      alpha = new double[count];
      gradient = new double[count];
    }
    for (int e = 0; e < n; e++) {
      int earlier = rememberedLabel(items[e], slots[e]);
      if (earlier < 0) {
        registry.countLabel(slots[e]);
      }
      remember(items[e], slots[e], labels[e]);
      float[] features = net.features(x, e * inputDim());
      for (int h = 0; h < count; h++) {
        net.headProba(h, features, heads[h]);
        alpha[h] = logits[h];
      }
      WeightedDoctorNetLabelModel.softmax(alpha, count);
      // The confusion is estimated against the soft prediction, as every method's is (not its argmax).
      System.arraycopy(mix(alpha, count), 0, reference, 0, reference.length);
      if (earlier != labels[e]) {
        if (earlier >= 0) {
          estimates.withdraw(slots[e], earlier, reference);
        }
        estimates.observeClass(reference);
        estimates.mStep(slots[e], labels[e], reference);
      }
      ClassifierLabelModel.oneHot(labels[e], target);
      WeightedDoctorNetLabelModel.logitGradient(alpha, heads, target, count, gradient);
      for (int h = 0; h < count; h++) {
        logits[h] -= WEIGHT_LEARNING_RATE * gradient[h];
      }
    }
    net.train(x, slots, labels, n);
  }

  /** {@code Σ_h weights[h]·heads[h]} over the first {@code count} heads, into {@link #mixed}. */
  private float[] mix(double[] weights, int count) {
    Arrays.fill(mixed, 0f);
    for (int h = 0; h < count; h++) {
      for (int c = 0; c < mixed.length; c++) {
        mixed[c] += (float) weights[h] * heads[h][c];
      }
    }
    return mixed;
  }

  /** The averaging weights of the annotators seen so far, in slot order: the softmax of their logits. */
  public double[] weights() {
    return WeightedDoctorNetLabelModel.weights(logits, registry.size());
  }

  /** The plain weighted mean of all heads. */
  @Override
  public String firstNonFinite() {
    String bad = super.firstNonFinite();
    return bad != null ? bad : Finite.firstNonFinite("annotator weight logits", logits);
  }

  @Override
  public void predictProba(float[] x, int xOffset, float[] out) {
    DoctorNetLabelModel.mixHeads(net, net.serving(), x, xOffset, weights(), headScratch, out);
  }

  @Override
  protected double weightOf(int slot) {
    if (slot >= 0) {
      return weights()[slot];
    }
    return WeightedDoctorNetLabelModel.newcomerWeight(logits, registry.size());
  }

  @Override
  public WeightedDoctorNetPaperLabelModel copy() {
    return new WeightedDoctorNetPaperLabelModel(net.copy(), registry.copy(), estimates.copy(), remembered(false),
        logits.clone());
  }

  /** The averaging logits. */
  @Override
  protected void writeAfterNet(DataOutput out) throws IOException {
    BinaryState.writeDoubles(out, logits);
  }

  /** Reads what follows the header of {@link #writeTo} in format {@code version} (from format 4, a history). */
  static WeightedDoctorNetPaperLabelModel readBody(DataInput in, int version) throws IOException {
    AnnotatorRegistry registry = AnnotatorRegistry.readFrom(in, version);
    ConfusionEstimates estimates = ConfusionEstimates.readFrom(in);
    ItemLabelHistory remembered = readRemembered(in, version);
    DoctorNet net = DoctorNetCodec.read(in, registry.maxAnnotators());
    LabelModels.requireHistoryWithin(remembered, net.spec());
    BinaryState.requireFits(in, registry.maxAnnotators(), Double.BYTES, "weighted doctor net averaging logits");
    double[] logits = new double[registry.maxAnnotators()];
    BinaryState.readDoubles(in, logits, "averaging logits");
    return new WeightedDoctorNetPaperLabelModel(net, registry, estimates, remembered, logits);
  }
}

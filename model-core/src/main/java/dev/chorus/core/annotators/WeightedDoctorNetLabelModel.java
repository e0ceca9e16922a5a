package dev.chorus.core.annotators;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.ModelSpec;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * {@code weighted-doctor-net}: a {@link DoctorNet} plus one averaging logit per annotator, weights = softmax of
 * the logits. The network trains as in {@link DoctorNetLabelModel}. Then, for each label event whose item has
 * at least two remembered labels, the logits of the annotators who labelled it take one gradient step
 * ({@link #WEIGHT_LEARNING_RATE}) on the cross-entropy between the mean of their one-hot labels and the mean of
 * their heads weighted by the softmax of their logits ({@link #logitGradient}), the heads held fixed.
 * Prediction is the weighted mean of all heads. A new annotator's logit starts at the mean of the others.
 */
public final class WeightedDoctorNetLabelModel extends DoctorNetModel {

  public static final String NAME = "weighted-doctor-net";
  /** Step size of the plain gradient steps on the averaging logits. */
  public static final double WEIGHT_LEARNING_RATE = 0.05;

  private final ItemLabelHistory history;
  private final double[] logits;
  private final float[] predicted;
  private final float[] headScratch;
  private final float[] reference;
  private final int[] itemSlots;
  private final int[] itemLabels;
  private final float[][] itemHeads;
  private final double[] alpha;
  private final double[] gradient;
  private final float[] target;
  private int[] slots = new int[0];

  /** @throws IllegalArgumentException if the spec does not suit a {@link DoctorNet} */
  public WeightedDoctorNetLabelModel(ModelSpec spec, LabelModelConfig config) {
    this(new DoctorNet(spec, config.maxAnnotators()), new AnnotatorRegistry(config.maxAnnotators()),
        new ConfusionEstimates(spec.numClasses(), config.maxAnnotators()), config.newHistory(),
        new double[config.maxAnnotators()]);
  }

  private WeightedDoctorNetLabelModel(DoctorNet net, AnnotatorRegistry registry, ConfusionEstimates estimates,
      ItemLabelHistory history, double[] logits) {
    super(net, registry, estimates);
    this.history = history;
    this.logits = logits;
    int k = net.numClasses();
    this.predicted = new float[k];
    this.headScratch = new float[k];
    this.reference = new float[k];
    int perItem = history.maxLabelsPerItem();
    this.itemSlots = new int[perItem];
    this.itemLabels = new int[perItem];
    this.itemHeads = new float[perItem][k];
    this.alpha = new double[perItem];
    this.gradient = new double[perItem];
    this.target = new float[k];
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ItemLabelHistory history() {
    return history;
  }

  @Override
  public void train(float[] x, long[] items, String[] annotators, int[] labels, int n) {
    LabelModels.validate(x, inputDim(), numClasses(), items, annotators, labels, n);
    registry.checkCapacity(annotators, n);
    if (slots.length < n) {
      slots = new int[n];
    }
    for (int e = 0; e < n; e++) {
      int before = registry.size();
      slots[e] = registry.register(annotators[e]);
      if (registry.size() > before) {
        logits[slots[e]] = meanLogit(before);
      }
      net.ensureHead(slots[e]);
      registry.countLabel(slots[e]);
      predictProba(x, e * inputDim(), predicted);
      ClassifierLabelModel.oneHot(DoctorNetLabelModel.argmax(predicted), reference);
      estimates.observeClass(reference);
      estimates.mStep(slots[e], labels[e], reference);
      history.add(items[e], slots[e], labels[e]);
    }
    net.train(x, slots, labels, n);
    for (int e = 0; e < n; e++) {
      int count = history.labels(items[e], itemSlots, itemLabels);
      if (count < 2) {
        continue;
      }
      float[] features = net.features(x, e * inputDim());
      for (int i = 0; i < count; i++) {
        net.headProba(itemSlots[i], features, itemHeads[i]);
        alpha[i] = logits[itemSlots[i]];
      }
      softmax(alpha, count);
      SoftLabelModel.distribution(itemLabels, count, target);
      logitGradient(alpha, itemHeads, target, count, gradient);
      for (int i = 0; i < count; i++) {
        logits[itemSlots[i]] -= WEIGHT_LEARNING_RATE * gradient[i];
      }
    }
  }

  /**
   * The gradient of {@code −Σ_c target[c]·log p[c]}, {@code p = Σ_i alpha[i]·heads[i]}, with respect to the
   * logits whose softmax is {@code alpha[0 .. count)}: {@code alpha[i]·(g_i − Σ_j alpha[j]·g_j)} with
   * {@code g_i = −Σ_c target[c]·heads[i][c] / p[c]}.
   */
  public static void logitGradient(double[] alpha, float[][] heads, float[] target, int count, double[] gradient) {
    int k = target.length;
    double[] p = new double[k];
    for (int i = 0; i < count; i++) {
      for (int c = 0; c < k; c++) {
        p[c] += alpha[i] * heads[i][c];
      }
    }
    double mean = 0;
    for (int i = 0; i < count; i++) {
      double g = 0;
      for (int c = 0; c < k; c++) {
        if (target[c] > 0) {
          g -= target[c] * heads[i][c] / Math.max(p[c], Double.MIN_NORMAL);
        }
      }
      gradient[i] = g;
      mean += alpha[i] * g;
    }
    for (int i = 0; i < count; i++) {
      gradient[i] = alpha[i] * (gradient[i] - mean);
    }
  }

  private static void softmax(double[] values, int count) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < count; i++) {
      max = Math.max(max, values[i]);
    }
    double sum = 0;
    for (int i = 0; i < count; i++) {
      values[i] = Math.exp(values[i] - max);
      sum += values[i];
    }
    for (int i = 0; i < count; i++) {
      values[i] /= sum;
    }
  }

  private double meanLogit(int count) {
    double sum = 0;
    for (int a = 0; a < count; a++) {
      sum += logits[a];
    }
    return count == 0 ? 0 : sum / count;
  }

  /** The averaging weights of the annotators seen so far, in slot order: the softmax of their logits. */
  public double[] weights() {
    double[] w = new double[registry.size()];
    System.arraycopy(logits, 0, w, 0, w.length);
    softmax(w, w.length);
    return w;
  }

  @Override
  public void predictProba(float[] x, int xOffset, float[] out) {
    DoctorNetLabelModel.mixHeads(net, net.features(x, xOffset), weights(), headScratch, out);
  }

  @Override
  protected double weightOf(int slot) {
    if (slot >= 0) {
      return weights()[slot];
    }
    // The weight an annotator not seen yet would get on arrival, its logit the mean of the others'.
    int seen = registry.size();
    double[] w = new double[seen + 1];
    System.arraycopy(logits, 0, w, 0, seen);
    w[seen] = meanLogit(seen);
    softmax(w, w.length);
    return w[seen];
  }


  @Override
  public WeightedDoctorNetLabelModel copy() {
    return new WeightedDoctorNetLabelModel(net.copy(), registry.copy(), estimates.copy(), history.copy(),
        logits.clone());
  }

  @Override
  public void writeTo(DataOutput out) throws IOException {
    write(out, history);
  }

  @Override
  public byte[] toSnapshotBytes() {
    return LabelModels.bytes(out -> write(out, history.emptyCopy()));
  }

  private void write(DataOutput out, ItemLabelHistory history) throws IOException {
    LabelModels.writeHeader(out, NAME);
    registry.writeTo(out);
    estimates.writeTo(out);
    history.writeTo(out);
    net.writeTo(out);
    BinaryState.writeDoubles(out, logits);
  }

  /** Reads what follows the header of {@link #writeTo}. */
  static WeightedDoctorNetLabelModel readBody(DataInput in) throws IOException {
    AnnotatorRegistry registry = AnnotatorRegistry.readFrom(in);
    ConfusionEstimates estimates = ConfusionEstimates.readFrom(in);
    ItemLabelHistory history = ItemLabelHistory.readFrom(in);
    DoctorNet net = DoctorNet.readFrom(in);
    double[] logits = new double[registry.maxAnnotators()];
    BinaryState.readDoubles(in, logits, "averaging logits");
    return new WeightedDoctorNetLabelModel(net, registry, estimates, history, logits);
  }
}

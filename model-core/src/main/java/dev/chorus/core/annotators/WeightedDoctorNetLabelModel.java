package dev.chorus.core.annotators;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.tensor.Finite;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * {@code weighted-doctor-net}: a {@link DoctorNet} (shared body, one softmax head per annotator, head {@code h}
 * modelling what annotator {@code h} says about an item) plus one averaging logit per annotator, weights =
 * softmax of the logits, and an estimated confusion matrix {@code C} per annotator ({@link ConfusionEstimates}).
 *
 * <p>Training, per minibatch: the items' predictions ({@link #predictProba} through the net's mean teacher,
 * {@link DoctorNet#teacher}: an exponential average of the body and heads, {@link #TEACHER}, or the spec's
 * {@code averaging} when it has one; the network still trains, and without {@code averaging} predicts, with its live
 * weights) are taken before the update. For
 * each label event whose item has other labels (an item's only label trains as told below), the item's labels so
 * far (its {@link ItemLabelHistory}, the new one included) give a
 * posterior over its true class, Dawid–Skene's E-step ({@link DawidSkeneLabelModel#eStep}) with the prediction
 * as the prior, uniform until the network has trained on {@link DawidSkeneLabelModel#WARMUP_EXAMPLES} labels
 * (as in Dawid–Skene: without it, a young model's prior let the confusions settle on a permutation of the
 * classes on some seeds of the benchmark). The new label's annotator's confusion takes
 * an M-step ({@link ConfusionEstimates#mStep}) against that posterior, and every
 * annotator who has labelled the item gets
 * a target for its head on this item: the label distribution its confusion expects under the posterior,
 * {@code Cᵀ·posterior} ({@link #expectedLabels}). Then the body and the heads take one step on all these
 * (event, annotator) pairs, the loss being their mean
 * cross-entropy ({@link DoctorNet#train(float[], int, int[], int[], float[], int)}). So a head still models its
 * annotator (a spammer's head learns to be flat, a shifter's to shift), and the body learns from every label of
 * an item through every head of the item, as a Dawid–Skene classifier learns from the posterior. Finally, for
 * each event whose item has at least two remembered labels, the logits of the annotators who labelled it take
 * one gradient step ({@link #WEIGHT_LEARNING_RATE}) on the cross-entropy between the mean of their one-hot
 * labels and the mean of their heads weighted by the softmax of their logits ({@link #logitGradient}), the
 * heads held fixed, as before de-noising (fitting the de-noised heads against the labels' posterior instead
 * gave no better accuracy on the benchmark and, on a small pool, more weight to spammers than to experts). A
 * new annotator's logit starts at the mean of the others.
 *
 * <p>A label that is its item's only one so far trains differently, because its posterior holds nothing but the label
 * itself (through its annotator's confusion) and a prior. Session 9 found that with the de-noised prediction as that
 * prior the confusion drifted with the model's own errors (the prediction is the heads de-noised through the same
 * confusion, trained towards targets built from it), and the model fell below naive at p = 0.8; it then kept a lone
 * annotator's diagonal at or above the prior 0.8, which stopped the collapse but de-noised as if labels were 80% right
 * (5.6 points under clean at p = 0.5 on Fashion-MNIST). Even the true diagonal 0.5, held fixed, gained nothing: the
 * target {@code Cᵀ·posterior} of a flat confusion is itself flat. So a lone label ({@link #loneLabel}) now trains
 * its annotator's head as Dawid–Skene trains its classifier: the prior is that head's own prediction (the teacher's
 * head, as Dawid–Skene's prior is its teacher's) and the
 * target the posterior, which is one gradient step on the label's likelihood through the confusion (a
 * noise-adaptation layer on the head); and the confusion's one-coin rows move as Dawid–Skene's lone labels do, towards half the head's and half
 * the posterior's probability of the label ({@link ConfusionEstimates#loneLabelStep}, step {@link #LONE_LABEL_STEP}).
 * The loop is Dawid–Skene's, which is stable, with no floor: at p = 0.5 and 0.8 this model now matches Dawid–Skene
 * (docs/BENCHMARKS.md, session 10). A row that an item with several labels has shaped is left to M-steps. For an
 * annotator seen only alone, the head models the true class and prediction de-noises it once more; through a
 * one-coin confusion that sharpens it without changing its argmax.
 *
 * <p>Prediction de-noises each head through its annotator's confusion and takes the weighted mean: a head
 * models {@code p(label | x) = Cᵀ·p(true | x)}, and {@link #denoise} recovers {@code p(true | x)} by
 * {@link #DENOISE_ITERATIONS} Richardson–Lucy iterations from uniform, so that the head of an annotator who
 * shifts or swaps classes points at the right class, and that of a spammer stays flat.
 *
 * <p>Each remembered label is counted and credited once, as by {@link ClassifierLabelModel}: a label the item has from
 * its annotator already is not counted again and moves neither a confusion nor the class prior, while the heads, the
 * body and the averaging logits train on it again; a relabel is not counted again and first takes back what the
 * replaced label credited ({@link #withdraw}).
 *
 * <p>The number of de-noising iterations is saved with the model (format 2). A model saved in format 1, before
 * de-noising, reads with 0 iterations: it predicts with the plain weighted mean of its heads, as it was saved,
 * and trains on as above.
 */
public final class WeightedDoctorNetLabelModel extends DoctorNetModel {

  public static final String NAME = "weighted-doctor-net";
  /** Step size of the plain gradient steps on the averaging logits. */
  public static final double WEIGHT_LEARNING_RATE = 0.05;
  /**
   * Diagonal of the prior confusion of an annotator not seen yet, in a new model; the rest of each row is spread
   * evenly.
   */
  public static final double PRIOR_DIAGONAL = 0.8;
  /**
   * Step of a lone label's one-coin move of its annotator's diagonal ({@link ConfusionEstimates#loneLabelStep}),
   * chosen on the benchmark's validation items from 0.0003, 0.001, 0.003 and 0.01 (docs/BENCHMARKS.md, session 10).
   */
  public static final double LONE_LABEL_STEP = 0.001;
  /** Richardson–Lucy iterations that de-noise each head at prediction, in a new model. */
  public static final int DENOISE_ITERATIONS = 10;
  /**
   * The average of the body and heads that the E-step's prior and a lone label's head prior read, unless the spec's
   * {@code averaging} keeps one: Dawid–Skene's mean teacher ({@link DawidSkeneLabelModel#TEACHER}), for the same
   * reason. Checked on the benchmark's validation items against 0.8 and 0.95 (docs/BENCHMARKS.md, session 17): 0.8
   * ties on the mean over both models and three corruption levels, 0.9 is the better at p = 0.5, 0.95 lags at p = 0.8.
   */
  public static final AveragingSpec TEACHER = DawidSkeneLabelModel.TEACHER;

  private final ItemLabelHistory history;
  private final double[] logits;
  /** The logits at the last {@link #mark()}. */
  private final double[] markedLogits;
  private final int denoiseIterations;
  private final float[] uniform;
  private final float[] headScratch;
  private final double[] denoised;
  private final double[] denoiseScratch;
  private final int[] itemSlots;
  private final int[] itemLabels;
  private final float[][] itemHeads;
  private final double[] alpha;
  private final double[] gradient;
  private final float[] target;
  private final float[] posterior;
  private final float[] prior;
  private int[] slots = new int[0];
  private float[] predictions = new float[0];
  private int[] pairExamples = new int[0];
  private int[] pairSlots = new int[0];
  private float[] pairTargets = new float[0];

  /** @throws IllegalArgumentException if the spec does not suit a {@link DoctorNet} */
  public WeightedDoctorNetLabelModel(ModelSpec spec, LabelModelSpec config) {
    this(new DoctorNet(spec, config.maxAnnotators(), TEACHER), new AnnotatorRegistry(config.maxAnnotators(), config.protectedLabels()),
        new ConfusionEstimates(spec.numClasses(), config.maxAnnotators(), PRIOR_DIAGONAL,
            ConfusionEstimates.DEFAULT_PRIOR_COUNT, ConfusionEstimates.DEFAULT_MIN_STEP)
            .forgetWithHalfLife(config.halfLifeLabels()),
        ItemLabelHistory.bounded(config),
        new double[config.maxAnnotators()], DENOISE_ITERATIONS);
  }

  private WeightedDoctorNetLabelModel(DoctorNet net, AnnotatorRegistry registry, ConfusionEstimates estimates,
      ItemLabelHistory history, double[] logits, int denoiseIterations) {
    super(net, registry, estimates, null);
    this.history = history;
    this.logits = logits;
    this.markedLogits = new double[logits.length];
    this.denoiseIterations = denoiseIterations;
    int k = net.numClasses();
    this.uniform = new float[k];
    Arrays.fill(uniform, 1f / k);
    this.headScratch = new float[k];
    this.denoised = new double[k];
    this.denoiseScratch = new double[k];
    int perItem = history.maxLabelsPerItem();
    this.itemSlots = new int[perItem];
    this.itemLabels = new int[perItem];
    this.itemHeads = new float[perItem][k];
    this.alpha = new double[perItem];
    this.gradient = new double[perItem];
    this.target = new float[k];
    this.posterior = new float[k];
    this.prior = new float[k];
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
  protected void mark() {
    net.mark();
    history.mark();
    System.arraycopy(logits, 0, markedLogits, 0, logits.length);
  }

  @Override
  protected void rollback() {
    net.rollback();
    history.rollback();
    System.arraycopy(markedLogits, 0, logits, 0, logits.length);
  }

  /** The evicted annotator's labels leave the history, and the slot gets a new annotator's head and logit. */
  @Override
  protected void forget(int slot) {
    history.forgetSlot(slot);
    net.resetHead(slot);
    logits[slot] = meanLogitOfOthers(logits, registry.size(), slot);
  }

  @Override
  protected void update(float[] x, long[] items, String[] annotators, int[] labels, int n) {
    int k = numClasses();
    int maxPairs = n * history.maxLabelsPerItem();
    if (slots.length < n) {
      slots = new int[n];
      predictions = new float[n * k];
    }
    if (pairSlots.length < maxPairs) {
      pairExamples = new int[maxPairs];
      pairSlots = new int[maxPairs];
      pairTargets = new float[maxPairs * k];
    }
    for (int e = 0; e < n; e++) {
      int before = registry.size();
      slots[e] = register(annotators[e]);
      if (registry.size() > before) {
        logits[slots[e]] = meanLogit(logits, before);
      }
      net.ensureHead(slots[e]);
    }
    for (int e = 0; e < n; e++) {
      predictProba(net.teacher(), x, e * inputDim(), prior);
      System.arraycopy(prior, 0, predictions, e * k, k);
    }
    boolean warm = net.examplesSeen() >= DawidSkeneLabelModel.WARMUP_EXAMPLES;
    int pairs = 0;
    for (int e = 0; e < n; e++) {
      // As in ClassifierLabelModel: a label the item has from its annotator already is counted and credited once, the
      // network trains on it again; a relabel is not counted again, and the replaced label's credit goes.
      int earlier = history.labelOf(items[e], slots[e]);
      boolean repeated = earlier == labels[e];
      if (earlier < 0) {
        registry.countLabel(slots[e]);
      } else if (!repeated) {
        withdraw(x, e, items[e], slots[e], earlier, warm);
      }
      history.add(items[e], slots[e], labels[e]);
      int count = history.labels(items[e], itemSlots, itemLabels);
      if (count == 1) {
        pairExamples[pairs] = e;
        pairSlots[pairs] = slots[e];
        loneLabel(x, e, slots[e], labels[e], warm, !repeated, pairs++);
        continue;
      }
      if (warm) {
        System.arraycopy(predictions, e * k, prior, 0, k);
      }
      DawidSkeneLabelModel.eStep(warm ? prior : uniform, estimates.confusions(), k, itemSlots, itemLabels, count,
          posterior);
      if (!repeated) {
        estimates.observeClass(posterior);
        estimates.mStep(slots[e], labels[e], posterior);
      }
      for (int i = 0; i < count; i++) {
        pairExamples[pairs] = e;
        pairSlots[pairs] = itemSlots[i];
        expectedLabels(estimates.confusions(), estimates.offset(itemSlots[i]), k, posterior, pairTargets, pairs * k);
        pairs++;
      }
    }
    net.train(x, n, pairExamples, pairSlots, pairTargets, pairs);
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
   * Event {@code e}'s label is its item's only one so far: its annotator's head, read as that annotator's view of the
   * true class, gets Dawid–Skene's target, the posterior from the head's own prediction (uniform during the warm-up)
   * and the label through the annotator's confusion, which is the gradient of the label's likelihood through that
   * confusion; and, unless the label is one the item had from its annotator already ({@code credit} false), the class
   * prior takes the posterior and a one-coin row of the confusion moves towards half the head's and half the
   * posterior's probability of the label ({@link ConfusionEstimates#loneLabelStep}, Dawid–Skene's lone-label
   * reference). Writes the target at pair {@code pair}.
   */
  private void loneLabel(float[] x, int e, int slot, int label, boolean warm, boolean credit, int pair) {
    int k = numClasses();
    lonePosterior(x, e, slot, warm);
    if (credit) {
      estimates.observeClass(posterior);
      if (warm) {
        estimates.loneLabelStep(slot, label, 0.5 * (prior[label] + posterior[label]), LONE_LABEL_STEP);
      }
    }
    System.arraycopy(posterior, 0, pairTargets, pair * k, k);
  }

  /**
   * The posterior of an item whose only label is {@code itemLabels[0]}, from the annotator in {@code slot}
   * ({@code itemSlots[0]}), into {@link #posterior}: with its head's prediction (into {@link #prior}) as the prior once
   * warm, else uniform.
   */
  private void lonePosterior(float[] x, int e, int slot, boolean warm) {
    if (warm) {
      DoctorNetView teacher = net.teacher();
      teacher.headProba(slot, teacher.features(x, e * inputDim()), prior);
    }
    DawidSkeneLabelModel.eStep(warm ? prior : uniform, estimates.confusions(), numClasses(), itemSlots, itemLabels, 1,
        posterior);
  }

  /**
   * Before event {@code e}'s label replaces {@code label}, its annotator's earlier label of {@code item}, takes back
   * what that one credited, estimated now, as the one of then is not kept. A label that came before the item's other
   * labels (the history holds them in order) was its only one then ({@link #loneLabel}): it gave the class prior its
   * lone posterior and the confusion no M-step (a one-coin step is not a credit that can be taken back). A later one
   * gave both the posterior of the labels before it and itself, estimated with its own credit taken back
   * ({@link DawidSkeneLabelModel#creditedPosterior}).
   */
  private void withdraw(float[] x, int e, long item, int slot, int label, boolean warm) {
    history.labels(item, itemSlots, itemLabels);
    int at = 0;
    while (itemSlots[at] != slot) {
      at++;
    }
    if (at == 0) {
      lonePosterior(x, e, slot, warm);
      estimates.withdrawClass(posterior);
      return;
    }
    if (warm) {
      System.arraycopy(predictions, e * numClasses(), prior, 0, numClasses());
    }
    DawidSkeneLabelModel.creditedPosterior(warm ? prior : uniform, estimates, itemSlots, itemLabels, at + 1, at,
        posterior);
    estimates.withdraw(slot, label, posterior);
  }

  /**
   * The label distribution that the confusion at {@code confusions[offset ..]} expects for an item whose
   * true class has distribution {@code posterior}, {@code Σ_c posterior[c]·C[c][j]}, into
   * {@code out[outOffset ..]}.
   */
  static void expectedLabels(double[] confusions, int offset, int k, float[] posterior, float[] out,
      int outOffset) {
    for (int j = 0; j < k; j++) {
      double sum = 0;
      for (int c = 0; c < k; c++) {
        sum += posterior[c] * confusions[offset + c * k + j];
      }
      out[outOffset + j] = (float) sum;
    }
  }

  /**
   * Richardson–Lucy de-noising: the {@code p} with {@code Cᵀ·p ≈ head}, for the confusion {@code C} at
   * {@code confusions[offset ..]}, by {@code iterations} multiplicative EM steps
   * {@code p ← p ⊙ C·(head ⊘ Cᵀp)} from uniform. Each step keeps {@code p} a distribution and does not decrease
   * {@code Σ_j head[j]·log (Cᵀp)[j]}; a class no row of {@code C} can explain keeps probability 0 once there.
   *
   * @param p receives the result, length {@code k}
   * @param scratch length {@code k}
   */
  public static void denoise(double[] confusions, int offset, int k, float[] head, int iterations, double[] p,
      double[] scratch) {
    Arrays.fill(p, 0, k, 1.0 / k);
    for (int iteration = 0; iteration < iterations; iteration++) {
      for (int j = 0; j < k; j++) {
        double said = 0;
        for (int c = 0; c < k; c++) {
          said += p[c] * confusions[offset + c * k + j];
        }
        scratch[j] = said > 0 ? head[j] / said : 0;
      }
      double total = 0;
      for (int c = 0; c < k; c++) {
        double back = 0;
        for (int j = 0; j < k; j++) {
          back += confusions[offset + c * k + j] * scratch[j];
        }
        p[c] *= back;
        total += p[c];
      }
      for (int c = 0; c < k; c++) {
        p[c] = total > 0 ? p[c] / total : 1.0 / k;
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

  /** Softmax of {@code values[0 .. count)} in place. */
  static void softmax(double[] values, int count) {
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

  /** The mean of the first {@code count} logits, 0 for none: the logit an annotator gets on arrival. */
  static double meanLogit(double[] logits, int count) {
    double sum = 0;
    for (int a = 0; a < count; a++) {
      sum += logits[a];
    }
    return count == 0 ? 0 : sum / count;
  }

  /** The mean of the first {@code count} logits but {@code slot}'s (0 if none): an evicted slot's newcomer's logit. */
  static double meanLogitOfOthers(double[] logits, int count, int slot) {
    double sum = 0;
    int others = count - 1;
    for (int a = 0; a < count; a++) {
      if (a != slot) {
        sum += logits[a];
      }
    }
    return others == 0 ? 0 : sum / others;
  }

  /** The softmax of the first {@code count} logits: the averaging weights in slot order. */
  static double[] weights(double[] logits, int count) {
    double[] w = new double[count];
    System.arraycopy(logits, 0, w, 0, count);
    softmax(w, count);
    return w;
  }

  /** The weight an annotator not seen yet would get on arrival among {@code seen}, its logit the mean of theirs. */
  static double newcomerWeight(double[] logits, int seen) {
    double[] w = new double[seen + 1];
    System.arraycopy(logits, 0, w, 0, seen);
    w[seen] = meanLogit(logits, seen);
    softmax(w, w.length);
    return w[seen];
  }

  /** The averaging weights of the annotators seen so far, in slot order: the softmax of their logits. */
  public double[] weights() {
    return weights(logits, registry.size());
  }

  /** Richardson–Lucy iterations per head at prediction; 0 for a model read from format 1. */
  public int denoiseIterations() {
    return denoiseIterations;
  }

  /** The weighted mean of all heads, each de-noised through its annotator's confusion ({@link #denoise}). */
  @Override
  public String firstNonFinite() {
    String bad = super.firstNonFinite();
    return bad != null ? bad : Finite.firstNonFinite("annotator weight logits", logits);
  }

  @Override
  public void predictProba(float[] x, int xOffset, float[] out) {
    predictProba(net.serving(), x, xOffset, out);
  }

  /** {@link #predictProba} through {@code view}: the live body and heads in training, else what predictions use. */
  private void predictProba(DoctorNetView view, float[] x, int xOffset, float[] out) {
    if (denoiseIterations == 0) {
      DoctorNetLabelModel.mixHeads(net, view, x, xOffset, weights(), headScratch, out);
      return;
    }
    float[] features = view.features(x, xOffset);
    int k = numClasses();
    int heads = net.headCount();
    double[] w = weights();
    Arrays.fill(out, 0, k, heads == 0 ? 1f / k : 0f);
    for (int h = 0; h < heads; h++) {
      view.headProba(h, features, headScratch);
      denoise(estimates.confusions(), estimates.offset(h), k, headScratch, denoiseIterations, denoised,
          denoiseScratch);
      for (int c = 0; c < k; c++) {
        out[c] += (float) (w[h] * denoised[c]);
      }
    }
  }

  @Override
  protected double weightOf(int slot) {
    if (slot >= 0) {
      return weights()[slot];
    }
    return newcomerWeight(logits, registry.size());
  }

  @Override
  public WeightedDoctorNetLabelModel copy() {
    return new WeightedDoctorNetLabelModel(net.copy(), registry.copy(), estimates.copy(), history.copy(),
        logits.clone(), denoiseIterations);
  }

  /** Its own history, which it trains on: a snapshot writes it empty, as the other methods' (always present). */
  @Override
  protected void writeHistory(DataOutput out, boolean snapshot) throws IOException {
    (snapshot ? history.emptyCopy() : history).writeTo(out);
  }

  /** The averaging logits and the de-noising iterations. */
  @Override
  protected void writeAfterNet(DataOutput out) throws IOException {
    BinaryState.writeDoubles(out, logits);
    out.writeInt(denoiseIterations);
  }

  /** Reads what follows the header of {@link #writeTo} in format {@code version}. */
  static WeightedDoctorNetLabelModel readBody(DataInput in, int version) throws IOException {
    AnnotatorRegistry registry = AnnotatorRegistry.readFrom(in, version);
    ConfusionEstimates estimates = ConfusionEstimates.readFrom(in);
    ItemLabelHistory history = ItemLabelHistory.readFrom(in);
    DoctorNet net = DoctorNetCodec.read(in, registry.maxAnnotators(), TEACHER, version >= 7);
    LabelModels.requireHistoryWithin(history, net.spec());
    BinaryState.requireFits(in, registry.maxAnnotators(), Double.BYTES, "weighted doctor net averaging logits");
    double[] logits = new double[registry.maxAnnotators()];
    BinaryState.readDoubles(in, logits, "averaging logits");
    int iterations = version == 1 ? 0 : in.readInt();
    if (iterations < 0) {
      throw new IOException("weighted doctor net: expected non-negative de-noising iterations, stream has "
          + iterations);
    }
    return new WeightedDoctorNetLabelModel(net, registry, estimates, history, logits, iterations);
  }
}

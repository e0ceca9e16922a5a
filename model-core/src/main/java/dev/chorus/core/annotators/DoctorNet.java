package dev.chorus.core.annotators;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.loss.SoftmaxCrossEntropy;
import dev.chorus.core.model.HiddenLayerSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.NetworkBuilder;
import dev.chorus.core.model.NumericGuard;
import dev.chorus.core.model.TrainingStep;
import dev.chorus.core.nn.Dense;
import dev.chorus.core.nn.Layer;
import dev.chorus.core.nn.Network;
import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.optim.Optimizer;
import dev.chorus.core.preprocess.OnlineStandardizer;
import dev.chorus.core.random.SplitMix64;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The network of Guan et al.'s Doctor Net ("Who said what: modeling individual labelers improves
 * classification", AAAI 2018): a shared body (the spec's hidden layers, dense with activations, after optional
 * online standardisation) and one softmax head per annotator slot. A label trains only its annotator's head
 * and, through it, the body (or, in {@link #train(float[], int, int[], int[], float[], int)}, a soft target
 * trains one head on one example, several heads sharing an example's body pass); each head and the body have their
 * own optimizer from the spec. The body and heads are built by {@link NetworkBuilder}, and one step is the
 * {@link TrainingStep} every learner takes, over the body and the heads the minibatch touched: a step
 * that would make a parameter non-finite is rejected with {@link dev.chorus.core.model.NonFiniteUpdateException}
 * and changes no parameter or optimizer, and a non-finite feature (reported by the standardiser, or found by a
 * scan without one) is rejected with {@link IllegalArgumentException}. What a rejected minibatch changed before
 * that (standardiser, heads created, random state) returns with {@link #rollback()} to the last {@link #mark()}. A
 * spec without hidden layers gives an empty body: the heads are then softmax regressions on the standardised
 * features.
 *
 * <p>A head is created when its annotator is first seen: the first from the spec's initialiser, later ones as
 * the mean of the existing heads, so that a new annotator starts as the average annotator. A slot whose annotator
 * was evicted gets a head made the same way from the other heads ({@link #resetHead}), with a fresh optimizer.
 *
 * <p>With the spec's {@code averaging}, the body and every head keep an exponential moving average of their
 * parameters ({@link DoctorNetAverage}), moved after each accepted step; {@link #serving()} predicts from it, while
 * training reads the live parameters ({@link #features}, {@link #headProba}). A net built with a {@code teacher} and
 * no {@code averaging} keeps the same average at the teacher's decay for its owner to read ({@link #teacher()}), and
 * predicts from the live parameters; with both, the spec's average is the teacher.
 */
final class DoctorNet {

  // The state DoctorNetCodec writes and reads is package-private.
  final ModelSpec spec;
  final int k;
  private final int d;
  final int width;
  final OnlineStandardizer standardizer;
  /** {@code null} when the spec has no hidden layers. */
  final Network body;
  Optimizer bodyOptimizer;
  final Dense[] heads;
  final ParameterSet[] headParameters;
  final Optimizer[] headOptimizers;
  int headCount;
  SplitMix64 rng;
  long steps;
  long examplesSeen;

  private float[] inputs = new float[0];
  private float[] hidden = new float[0];
  private float[] gradHidden = new float[0];
  private float[] headIn = new float[0];
  private float[] logits = new float[0];
  private float[] gradLogits = new float[0];
  private float[] gradHeadIn = new float[0];
  private int[] headLabels = new int[0];
  private float[] headTargets = new float[0];
  private int[] identity = new int[0];
  private int[] rows = new int[0];
  private final int[] touched;
  /** {@code null} unless the spec has {@code averaging} or the net keeps a teacher. */
  final DoctorNetAverage average;
  /** The teacher this net was built to keep, {@code null} for none; the spec's {@code averaging} serves when set. */
  final AveragingSpec teacherSpec;
  private final DoctorNetView live;
  private final DoctorNetView serving;
  private final DoctorNetView teacher;
  private final TrainingStep trainingStep;
  /** The body's and the touched heads' parameters and optimizers, as the training step takes them. */
  private final ParameterSet[] guarded;
  private final Optimizer[] guardedOptimizers;
  /** What {@link #mark()} remembered: heads, random state and standardiser statistics. */
  private int markedHeads;
  private long markedRng;
  /** Heads replaced by {@link #resetHead} since the last mark, with their slots, oldest first. */
  private final List<Integer> replacedSlots = new ArrayList<>();
  private final List<Dense> replacedHeads = new ArrayList<>();
  private final List<ParameterSet> replacedParameters = new ArrayList<>();
  private final List<Optimizer> replacedOptimizers = new ArrayList<>();
  private final OnlineStandardizer markedStandardizer;

  /**
   * A fresh network with room for {@code maxHeads} heads.
   *
   * @throws IllegalArgumentException if the spec is not a softmax-cross-entropy classifier or has batch
   *     normalisation or dropout, which the body does not support
   */
  /** Null when the standardiser, body and heads (and their averages) are finite, else which is not and where. */
  String firstNonFinite() {
    String bad = standardizer == null ? null : standardizer.firstNonFinite();
    if (bad == null && body != null) {
      bad = NumericGuard.firstNonFinite("body ", body);
    }
    for (int h = 0; bad == null && h < headCount; h++) {
      bad = NumericGuard.firstNonFinite("head " + h + " ", headParameters[h]);
    }
    if (bad == null && average != null) {
      if (average.body() != null) {
        bad = NumericGuard.firstNonFinite("averaged body ", average.body());
      }
      Dense[] averaged = average.heads();
      for (int h = 0; bad == null && h < headCount; h++) {
        if (averaged[h] != null) {
          bad = NumericGuard.firstNonFinite("averaged head " + h + " ", new ParameterSet(averaged[h].parameters()));
        }
      }
    }
    return bad;
  }

  DoctorNet(ModelSpec spec, int maxHeads) {
    this(spec, maxHeads, null);
  }

  /**
   * As {@link #DoctorNet(ModelSpec, int)}, keeping an average of decay {@code teacher} ({@code null}: none) that
   * {@link #teacher()} reads and predictions do not, unless the spec's {@code averaging} keeps one already.
   */
  DoctorNet(ModelSpec spec, int maxHeads, AveragingSpec teacher) {
    requireSuitable(spec);
    this.spec = spec;
    this.k = spec.numClasses();
    this.d = spec.inputDim();
    this.rng = SplitMix64.seeded(spec.seed());
    this.standardizer = spec.standardize() ? new OnlineStandardizer(d) : null;
    List<Layer> layers = new ArrayList<>();
    int w = NetworkBuilder.addHiddenLayers(spec, Blas.get(), "body", rng, layers);
    this.width = w;
    this.body = layers.isEmpty() ? null : new Network(layers);
    this.bodyOptimizer = body == null ? null : spec.optimizer().create();
    this.heads = new Dense[maxHeads];
    this.headParameters = new ParameterSet[maxHeads];
    this.headOptimizers = new Optimizer[maxHeads];
    this.touched = new int[maxHeads];
    this.trainingStep = new TrainingStep(spec);
    this.guarded = new ParameterSet[maxHeads + 1];
    this.guardedOptimizers = new Optimizer[maxHeads + 1];
    this.markedStandardizer = standardizer == null ? null : new OnlineStandardizer(d);
    this.teacherSpec = teacher;
    AveragingSpec averaging = spec.averaging() != null ? spec.averaging() : teacher;
    this.average = averaging == null ? null : new DoctorNetAverage(averaging, Blas.get(), body, maxHeads);
    this.live = new DoctorNetView(standardizer, body, heads, d, width, k);
    this.teacher = average == null ? live
        : new DoctorNetView(standardizer, average.body(), average.heads(), d, width, k);
    this.serving = spec.averaging() == null ? live : this.teacher;
  }

  /**
   * @throws IllegalArgumentException unless {@code spec} is a softmax-cross-entropy classifier whose hidden
   *     layers have neither batch normalisation nor dropout
   */
  static void requireSuitable(ModelSpec spec) {
    if (!spec.isClassifier() || !SoftmaxCrossEntropy.INSTANCE.name().equals(spec.loss())) {
      throw new IllegalArgumentException("a doctor net needs a classifier with loss \""
          + SoftmaxCrossEntropy.INSTANCE.name() + "\", got " + spec.algorithm() + " with loss " + spec.loss());
    }
    for (int i = 0; i < spec.layers().size(); i++) {
      HiddenLayerSpec layer = spec.layers().get(i);
      if (layer.batchNorm() || layer.dropout() > 0) {
        throw new IllegalArgumentException("a doctor net body takes dense layers with activations only; hidden "
            + "layer " + i + " has batchNorm=" + layer.batchNorm() + ", dropout=" + layer.dropout());
      }
    }
  }

  ModelSpec spec() {
    return spec;
  }

  /** Training steps taken. */
  long steps() {
    return steps;
  }

  /** Labels trained on. */
  long examplesSeen() {
    return examplesSeen;
  }

  int numClasses() {
    return k;
  }

  int inputDim() {
    return d;
  }

  int headCount() {
    return headCount;
  }

  /** Creates the heads of slots up to {@code slot}, each the mean of those before it (the first drawn afresh). */
  void ensureHead(int slot) {
    while (headCount <= slot) {
      Dense head = headCount == 0 ? drawnHead() : meanHead(-1);
      heads[headCount] = head;
      headParameters[headCount] = new ParameterSet(head.parameters());
      headOptimizers[headCount] = spec.optimizer().create();
      if (average != null) {
        average.addHead(headCount, head, headParameters[headCount]);
      }
      headCount++;
    }
  }

  /** A head drawn afresh from the spec's initialiser. */
  private Dense drawnHead() {
    return NetworkBuilder.outputLayer(spec, Blas.get(), "head.", width, k, rng);
  }

  /** A head that is the mean of the heads other than {@code except} ({@code -1}: of all of them). */
  private Dense meanHead(int except) {
    Dense head = Dense.zeros(Blas.get(), "head.", width, k, true);
    meanOfHeads(head.weights().value().data(), head.bias().value().data(), except);
    return head;
  }

  /** The mean of the heads other than {@code except} into {@code weights} and {@code bias}, which start at 0. */
  private void meanOfHeads(float[] weights, float[] bias, int except) {
    int count = except < 0 ? headCount : headCount - 1;
    for (int h = 0; h < headCount; h++) {
      if (h == except) {
        continue;
      }
      float[] w = heads[h].weights().value().data();
      float[] b = heads[h].bias().value().data();
      for (int i = 0; i < w.length; i++) {
        weights[i] += w[i] / count;
      }
      for (int i = 0; i < b.length; i++) {
        bias[i] += b[i] / count;
      }
    }
  }

  /**
   * Gives {@code slot}, whose annotator was evicted, a new head as a new annotator gets one: the mean of the other
   * heads (drawn afresh if there is none), with a fresh optimizer. {@link #rollback()} puts the old one back.
   */
  void resetHead(int slot) {
    if (slot >= headCount) {
      return;
    }
    Dense head = headCount == 1 ? drawnHead() : meanHead(slot);
    replacedSlots.add(slot);
    replacedHeads.add(heads[slot]);
    replacedParameters.add(headParameters[slot]);
    replacedOptimizers.add(headOptimizers[slot]);
    heads[slot] = head;
    headParameters[slot] = new ParameterSet(head.parameters());
    headOptimizers[slot] = spec.optimizer().create();
    if (average != null) {
      average.resetHead(slot, head, headParameters[slot]);
    }
  }

  /**
   * One training step on {@code n} labels: {@code labels[e]} given by head {@code slots[e]} (already created)
   * for the example at {@code x[e·d ..]}. The loss is the mean cross-entropy of each label under its
   * annotator's head; returns it.
   */
  double train(float[] x, int[] slots, int[] labels, int n) {
    ensurePairCapacity(n);
    for (int e = 0; e < n; e++) {
      identity[e] = e;
    }
    return train(x, n, identity, slots, labels, null, n);
  }

  /**
   * One training step on soft targets for {@code pairs} (example, head) pairs: pair {@code r} asks head
   * {@code slots[r]} (already created) for the distribution {@code targets[r·K ..]} on the example at
   * {@code x[examples[r]·d ..]}, one of the {@code n} examples in {@code x}. The body runs once per example and
   * takes the gradients of all its pairs. The loss is the mean cross-entropy over the pairs; returns it.
   */
  double train(float[] x, int n, int[] examples, int[] slots, float[] targets, int pairs) {
    return train(x, n, examples, slots, null, targets, pairs);
  }

  /** The two above: one-hot {@code labels} if {@code targets} is {@code null}. */
  private double train(float[] x, int n, int[] examples, int[] slots, int[] labels, float[] targets, int pairs) {
    ensureCapacity(n);
    ensurePairCapacity(pairs);
    float[] in = x;
    if (standardizer != null) {
      if (!standardizer.update(x, n)) {
        throw NumericGuard.nonFiniteFeature("train", x, n, d);
      }
      standardizer.transform(x, n, inputs);
      in = inputs;
    } else {
      IllegalArgumentException problem = NumericGuard.nonFiniteFeature("train", x, n, d);
      if (problem != null) {
        throw problem;
      }
    }
    float[] h = in;
    if (body != null) {
      body.forward(in, n, hidden, rng);
      h = hidden;
      Arrays.fill(gradHidden, 0, n * width, 0f);
    }
    double loss = 0;
    boolean[] done = new boolean[pairs];
    int touchedCount = 0;
    for (int e = 0; e < pairs; e++) {
      if (done[e]) {
        continue;
      }
      int slot = slots[e];
      int m = 0;
      for (int f = e; f < pairs; f++) {
        if (!done[f] && slots[f] == slot) {
          done[f] = true;
          rows[m] = examples[f];
          if (targets == null) {
            headLabels[m] = labels[f];
          } else {
            System.arraycopy(targets, f * k, headTargets, m * k, k);
          }
          System.arraycopy(h, examples[f] * width, headIn, m * width, width);
          m++;
        }
      }
      Dense head = heads[slot];
      head.forward(headIn, m, logits, rng);
      double share = (double) m / pairs;
      loss += share * (targets == null
          ? SoftmaxCrossEntropy.INSTANCE.lossAndGradient(logits, m, k, headLabels, null, gradLogits)
          : SoftmaxCrossEntropy.INSTANCE.softLossAndGradient(logits, m, k, headTargets, null, gradLogits));
      for (int i = 0; i < m * k; i++) {
        gradLogits[i] *= (float) share;
      }
      head.backward(headIn, logits, m, gradLogits, body == null ? null : gradHeadIn);
      touched[touchedCount++] = slot;
      if (body != null) {
        for (int i = 0; i < m; i++) {
          int target = rows[i] * width;
          for (int j = 0; j < width; j++) {
            gradHidden[target + j] += gradHeadIn[i * width + j];
          }
        }
      }
    }
    if (body != null) {
      body.backward(in, n, gradHidden);
    }
    step(touchedCount, loss, n);
    steps++;
    examplesSeen += n;
    if (average != null) {
      average.update(steps, headCount);
    }
    return loss;
  }

  /** The {@link TrainingStep} of the body and of the first {@code count} heads in {@link #touched}; {@code n} examples. */
  private void step(int count, double loss, int n) {
    int groups = 0;
    if (body != null) {
      guarded[groups] = body.parameters();
      guardedOptimizers[groups++] = bodyOptimizer;
    }
    for (int i = 0; i < count; i++) {
      guarded[groups] = headParameters[touched[i]];
      guardedOptimizers[groups++] = headOptimizers[touched[i]];
    }
    String problem = trainingStep.apply(guarded, guardedOptimizers, groups, loss, steps);
    // A rejected step leaves the optimizers it had stepped replaced by their backups.
    int g = 0;
    if (body != null) {
      bodyOptimizer = guardedOptimizers[g++];
    }
    for (int i = 0; i < count; i++) {
      headOptimizers[touched[i]] = guardedOptimizers[g++];
    }
    if (problem != null) {
      throw NumericGuard.rejection(n, steps + 1, problem);
    }
  }

  /** Remembers the heads, the random state and the standardiser, so that {@link #rollback()} can return to them. */
  void mark() {
    markedHeads = headCount;
    markedRng = rng.state();
    replacedSlots.clear();
    replacedHeads.clear();
    replacedParameters.clear();
    replacedOptimizers.clear();
    if (standardizer != null) {
      markedStandardizer.copyFrom(standardizer);
    }
    if (average != null) {
      average.mark();
    }
  }

  /**
   * Forgets the heads created since the last {@link #mark()}, puts back those {@link #resetHead} replaced, and
   * restores the random state and the standardiser;
   * parameters and optimizers need nothing, since a rejected step leaves them as they were.
   */
  void rollback() {
    if (average != null) {
      average.rollback(markedHeads, headCount);
    }
    for (int h = markedHeads; h < headCount; h++) {
      heads[h] = null;
      headParameters[h] = null;
      headOptimizers[h] = null;
    }
    headCount = markedHeads;
    for (int i = replacedSlots.size() - 1; i >= 0; i--) {
      int slot = replacedSlots.get(i);
      heads[slot] = replacedHeads.get(i);
      headParameters[slot] = replacedParameters.get(i);
      headOptimizers[slot] = replacedOptimizers.get(i);
    }
    replacedSlots.clear();
    replacedHeads.clear();
    replacedParameters.clear();
    replacedOptimizers.clear();
    rng = SplitMix64.fromState(markedRng);
    if (standardizer != null) {
      standardizer.copyFrom(markedStandardizer);
    }
  }

  private void ensureCapacity(int n) {
    if (hidden.length >= n * width && inputs.length >= n * d) {
      return;
    }
    inputs = new float[n * d];
    hidden = new float[n * width];
    gradHidden = new float[n * width];
  }

  private void ensurePairCapacity(int pairs) {
    if (rows.length >= pairs) {
      return;
    }
    headIn = new float[pairs * width];
    logits = new float[pairs * k];
    gradLogits = new float[pairs * k];
    gradHeadIn = new float[pairs * width];
    headLabels = new int[pairs];
    headTargets = new float[pairs * k];
    rows = new int[pairs];
    identity = new int[pairs];
  }

  /**
   * The live body's inference-mode output for the example at {@code x[xOffset ..]} ({@link DoctorNetView#features}),
   * what training reads; the returned buffer is reused.
   */
  float[] features(float[] x, int xOffset) {
    return live.features(x, xOffset);
  }

  /** Live head {@code slot}'s class probabilities for live body output {@code features} into {@code out}. */
  void headProba(int slot, float[] features, float[] out) {
    live.headProba(slot, features, out);
  }

  /** The live body and heads, what training reads. */
  DoctorNetView live() {
    return live;
  }

  /**
   * What the label model predicts from: the averaged body and heads with the spec's {@code averaging}, else the live
   * ones, which {@link #features} and {@link #headProba} read.
   */
  DoctorNetView serving() {
    return serving;
  }

  /**
   * The averaged body and heads a label model's E-step reads: the spec's average, else the teacher's the net was built
   * with, else the live ones.
   */
  DoctorNetView teacher() {
    return teacher;
  }

  /** Restarts the average at the live weights: a model saved before the net kept its teacher. */
  void restartAverage() {
    if (average != null) {
      average.restart(headCount);
    }
  }

  DoctorNet copy() {
    DoctorNet copy = new DoctorNet(spec, heads.length, teacherSpec);
    if (standardizer != null) {
      copy.standardizer.copyFrom(standardizer);
    }
    if (body != null) {
      copy.body.parameters().copyValuesFrom(body.parameters());
      copy.bodyOptimizer = bodyOptimizer.copy();
    }
    for (int h = 0; h < headCount; h++) {
      copy.ensureHead(h);
      copy.headParameters[h].copyValuesFrom(headParameters[h]);
      copy.headOptimizers[h] = headOptimizers[h].copy();
    }
    if (average != null) {
      average.copyValuesTo(copy.average, headCount);
    }
    // Set last: creating the copy's first head drew from its generator.
    copy.rng = rng.copy();
    copy.steps = steps;
    copy.examplesSeen = examplesSeen;
    return copy;
  }

  /** {@link DoctorNetCodec#write}. */
  void writeTo(DataOutput out) throws IOException {
    DoctorNetCodec.write(this, out);
  }
}

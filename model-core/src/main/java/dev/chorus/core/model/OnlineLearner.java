package dev.chorus.core.model;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.loss.SquaredError;
import dev.chorus.core.nn.Network;
import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.optim.Optimizer;
import dev.chorus.core.optim.ParameterAverage;
import dev.chorus.core.preprocess.OnlineStandardizer;
import dev.chorus.core.random.SplitMix64;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.List;

/**
 * Trains one online model, classifier or regressor, one minibatch at a time: what it trains is its
 * {@link TrainedModel} (spec, optional feature standardisation, the {@link Network} {@link NetworkBuilder} built,
 * provenance); what it trains with is its own (the {@link Optimizer}, and the random generator that drew the
 * initial weights and then draws dropout masks, both seeded from the spec). Its bytes are
 * {@link OnlineLearnerCodec}'s. It is also a {@link Predictor}, predicting with its model.
 *
 * <p>One training step: update the standardiser with the minibatch and standardise it; forward; loss and its
 * gradient; backward; then the {@link TrainingStep}: the L2 gradient, clipping of the global gradient norm, the
 * optimizer step at the scheduled learning rate and the L1 proximal step at the same rate, under the
 * {@link NumericGuard}. The schedule's step is the optimizer's step count, which equals the model's but after a
 * carried warm start ({@link LearnerWarmStart}), whose schedule goes on from the saved learner's count.
 *
 * <p>With the spec's {@code averaging} ({@link dev.chorus.core.optim.AveragingSpec}), each accepted step then moves
 * an exponential moving average of the parameters ({@link ParameterAverage}), and every prediction comes from
 * {@link #servingModel()}: the averaged parameters with the live standardiser and batch-norm running statistics.
 * Training (forward and backward) always uses the live parameters of {@link #model()}.
 *
 * <p>Not thread-safe: predictions and training reuse scratch buffers.
 */
public final class OnlineLearner implements Predictor {

  /** {@link OnlineLearnerCodec#MAGIC}. */
  public static final int MAGIC = OnlineLearnerCodec.MAGIC;
  /** {@link OnlineLearnerCodec#FORMAT_VERSION}. */
  public static final int FORMAT_VERSION = OnlineLearnerCodec.FORMAT_VERSION;
  /** How far a soft target row's sum may be from 1, allowing for float rounding of a posterior. */
  private static final float DISTRIBUTION_TOLERANCE = 1e-3f;

  private final TrainedModel model;
  /** The model's spec, standardiser ({@code null} if it does not standardise) and network, which training changes. */
  private final ModelSpec spec;
  private final OnlineStandardizer standardizer;
  private final Network network;
  private Optimizer optimizer;
  private SplitMix64 rng;

  /** Scratch for one minibatch: standardised inputs, network outputs, the loss gradient; grown on demand. */
  private float[] batchInputs = new float[0];
  private float[] batchOutputs = new float[0];
  private float[] batchGradient = new float[0];
  /** What a training forward pass changes besides parameters, saved so a rejected minibatch leaves no trace. */
  private final OnlineStandardizer standardizerBackup;
  private final List<float[]> runningStatistics;
  private final float[][] runningStatisticsBackup;
  private long rngBackup;
  private final TrainingStep trainingStep;
  /** The network's parameters and its optimizer, as the training step takes them. */
  private final ParameterSet[] guarded;
  private final Optimizer[] optimizers = new Optimizer[1];
  /** What predictions come from: {@link #model} itself, or the averaged model when the spec averages. */
  private final TrainedModel servingModel;
  /** {@code null} unless the spec averages. */
  private final ParameterAverage average;
  private final List<float[]> servingStatistics;
  private final Blas blas;
  /**
   * An average of the parameters that its owner reads and predictions do not ({@link #keepTeacher}); {@code null}
   * unless kept, and never kept beside the spec's own average, which serves as the teacher then.
   */
  private ParameterAverage teacher;
  private AveragingSpec teacherSpec;
  private TrainedModel teacherModel;
  private List<float[]> teacherStatistics;

  /** @param averaged the averaged network, a copy of {@code model}'s; {@code null} unless the spec averages */
  private OnlineLearner(TrainedModel model, Optimizer optimizer, SplitMix64 rng, Blas blas, Network averaged) {
    this.model = model;
    this.spec = model.spec();
    this.standardizer = model.standardizer();
    this.network = model.network();
    this.trainingStep = new TrainingStep(spec);
    this.optimizer = optimizer;
    this.rng = rng;
    this.standardizerBackup = standardizer == null ? null : new OnlineStandardizer(spec.inputDim());
    this.runningStatistics = network.runningStatistics();
    this.runningStatisticsBackup = runningStatistics.stream().map(a -> new float[a.length]).toArray(float[][]::new);
    this.guarded = new ParameterSet[] {network.parameters()};
    this.blas = blas;
    this.servingModel = averaged == null ? model : model.withNetwork(averaged);
    this.average = averaged == null ? null
        : new ParameterAverage(spec.averaging(), blas, network.parameters(), averaged.parameters());
    this.servingStatistics = averaged == null ? runningStatistics : averaged.runningStatistics();
  }

  /** A fresh learner on the default BLAS backend: weights drawn from the spec's seed, no statistics, no optimizer state. */
  public static OnlineLearner create(ModelSpec spec) {
    return create(spec, Blas.get());
  }

  /** A fresh learner whose dense layers run on {@code blas} (benchmarks compare backends this way). */
  public static OnlineLearner create(ModelSpec spec, Blas blas) {
    return create(spec, blas, Provenance.UNKNOWN_DATA_SOURCE);
  }

  /** A fresh learner on {@code blas} whose model records {@code dataSource} (a topic, a file) as its provenance. */
  public static OnlineLearner create(ModelSpec spec, Blas blas, String dataSource) {
    SplitMix64 rng = SplitMix64.seeded(spec.seed());
    TrainedModel model = new TrainedModel(spec, spec.standardize() ? new OnlineStandardizer(spec.inputDim()) : null,
        NetworkBuilder.network(spec, blas, rng), dataSource, blas.backend().key());
    return new OnlineLearner(model, spec.optimizer().create(), rng, blas,
        spec.averaging() == null ? null : model.network().copy());
  }

  @Override
  public String firstNonFinite() {
    String bad = model.firstNonFinite();
    if (bad == null && servingModel != model) {
      bad = servingModel.firstNonFinite();
      bad = bad == null ? null : "averaged " + bad;
    }
    return bad;
  }

  /** What this learner trains; it changes with every minibatch. */
  public TrainedModel model() {
    return model;
  }

  /**
   * What this learner predicts with: with the spec's {@code averaging}, a model over the averaged parameters (and the
   * live standardiser and running statistics), else {@link #model()} itself. It changes with every minibatch.
   */
  public TrainedModel servingModel() {
    return servingModel;
  }

  /** Restarts the average at the live parameters, after they were loaded from elsewhere (a warm start). */
  void restartAverage() {
    if (average != null) {
      average.restart();
      copyRunningStatisticsToServing();
    }
    if (teacher != null) {
      teacher.restart();
      copyStatistics(teacherStatistics);
    }
  }

  /**
   * Keeps an average of the parameters with {@code spec}'s decay, starting at the live ones, that predictions do not
   * read but {@link #teacherModel()} does (a label model's E-step reads its classifier's average as a "mean teacher");
   * nothing when the spec averages (its average is the teacher) or a teacher is kept already. Not saved by
   * {@link #writeTo}: its owner saves it ({@link #writeTeacher}).
   */
  public void keepTeacher(AveragingSpec spec) {
    if (average != null || teacher != null) {
      return;
    }
    Network averaged = network.copy();
    teacherSpec = spec;
    teacherModel = model.withNetwork(averaged);
    teacher = new ParameterAverage(spec, blas, network.parameters(), averaged.parameters());
    teacherStatistics = averaged.runningStatistics();
  }

  /**
   * The averaged model {@link #keepTeacher} keeps, with the live standardiser and running statistics; the spec's
   * averaged model when it averages; else the live model.
   */
  public TrainedModel teacherModel() {
    return teacher != null ? teacherModel : servingModel;
  }

  /** Writes the kept teacher's values ({@link ParameterSet#writeValues}); nothing unless {@link #keepTeacher} kept one. */
  public void writeTeacher(DataOutput out) throws IOException {
    if (teacher != null) {
      teacher.average().writeValues(out);
    }
  }

  /** Reads what {@link #writeTeacher} wrote, into the teacher {@link #keepTeacher} kept; nothing unless one is kept. */
  public void readTeacher(DataInput in) throws IOException {
    if (teacher != null) {
      teacher.average().readValues(in);
      copyStatistics(teacherStatistics);
    }
  }

  /** Reads the averaged parameters ({@link ParameterSet#writeValues}) after the live state was restored. */
  void readAverage(DataInput in) throws IOException {
    average.average().readValues(in);
    copyRunningStatisticsToServing();
  }

  void restoreCounts(long steps, long examplesSeen) {
    model.restoreCounts(steps, examplesSeen);
    if (servingModel != model) {
      servingModel.restoreCounts(steps, examplesSeen);
    }
    if (teacher != null) {
      teacherModel.restoreCounts(steps, examplesSeen);
    }
  }

  private void copyRunningStatisticsToServing() {
    copyStatistics(servingStatistics);
  }

  /** Copies the live running statistics into {@code into}, unless they are the live ones. */
  private void copyStatistics(List<float[]> into) {
    for (int i = 0; into != runningStatistics && i < runningStatistics.size(); i++) {
      float[] stats = runningStatistics.get(i);
      System.arraycopy(stats, 0, into.get(i), 0, stats.length);
    }
  }

  Optimizer optimizer() {
    return optimizer;
  }

  SplitMix64 rng() {
    return rng;
  }

  void restoreRng(SplitMix64 rng) {
    this.rng = rng;
  }

  @Override
  public ModelSpec spec() {
    return spec;
  }

  @Override
  public int inputDim() {
    return spec.inputDim();
  }

  /** Number of classes of a classifier; 0 for a regressor. */
  public int numClasses() {
    return spec.numClasses();
  }

  /** Whether this model predicts classes ({@link #predictProba}, {@link #predict}) or a value ({@link #predictValue}). */
  @Override
  public boolean isClassifier() {
    return spec.isClassifier();
  }

  /** The length of one prediction: {@link #numClasses()} probabilities for a classifier, 1 value for a regressor. */
  @Override
  public int outputDim() {
    return spec.isClassifier() ? spec.numClasses() : 1;
  }

  /** The network, for inspection; changing its parameters changes this learner. */
  public Network network() {
    return network;
  }

  /** Minibatch updates applied so far. */
  @Override
  public long steps() {
    return model.steps();
  }

  /** Examples trained on so far. */
  @Override
  public long examplesSeen() {
    return model.examplesSeen();
  }

  /** {@link TrainedModel#predictProba} of the {@link #servingModel()}. */
  @Override
  public void predictProba(float[] x, int xOffset, float[] out) {
    servingModel.predictProba(x, xOffset, out);
  }

  /** {@link TrainedModel#predict} of the {@link #servingModel()}. */
  public int predict(float[] x, int xOffset) {
    return servingModel.predict(x, xOffset);
  }

  /** {@link TrainedModel#predictValue} of the {@link #servingModel()}. */
  @Override
  public float predictValue(float[] x, int xOffset) {
    return servingModel.predictValue(x, xOffset);
  }

  /** {@inheritDoc} One batched inference pass, standardising all rows at once. */
  @Override
  public void predictProbaBatch(float[] x, int rows, float[] out) {
    servingModel.predictProbaBatch(x, rows, out);
  }

  /** {@inheritDoc} One batched inference pass, standardising all rows at once. */
  @Override
  public void predictValues(float[] x, int rows, float[] out) {
    servingModel.predictValues(x, rows, out);
  }

  /**
   * Trains a classifier on {@code n} labelled examples with one optimizer step.
   *
   * @param x features, row-major {@code n × inputDim}; may be longer (a reused buffer)
   * @param labels class indices in {@code [0, numClasses)}; may be longer than {@code n}
   * @param weights non-negative example weights, or {@code null} for all ones; may be longer than {@code n}
   * @return the weighted mean loss of the minibatch before the step, excluding penalties
   * @throws IllegalArgumentException before any state changes, if an argument is invalid
   * @throws IllegalStateException for a regressor
   */
  public double trainMinibatch(float[] x, int[] labels, float[] weights, int n) {
    model.requireClassifier("trainMinibatch");
    validateMinibatch("trainMinibatch", x, weights, n);
    if (labels.length < n) {
      throw new IllegalArgumentException("trainMinibatch: labels must hold n=" + n + " ints, has " + labels.length);
    }
    spec.requireLabels("trainMinibatch", labels, n);
    float[] inputs = forward("trainMinibatch", x, n);
    double meanLoss = model.loss().lossAndGradient(batchOutputs, n, spec.numClasses(), labels, weights, batchGradient);
    update(inputs, n, meanLoss);
    return meanLoss;
  }

  /**
   * Trains a classifier on {@code n} examples whose targets are distributions over the classes (a posterior
   * from an annotator model, say), with one optimizer step. Needs a loss that takes soft targets
   * ({@code softmax-cross-entropy}, {@code logistic}, {@code softmax-squared-error}).
   *
   * @param targetDistributions row-major {@code n × numClasses}, each row non-negative and summing to 1
   *     (within 1e-3); may be longer
   * @return the weighted mean loss (cross-entropy against the distribution, for softmax) before the step
   * @throws IllegalArgumentException before any state changes, if an argument is invalid
   * @throws IllegalStateException for a regressor or a loss without soft targets (hinge)
   */
  public double trainMinibatchSoft(float[] x, float[] targetDistributions, float[] weights, int n) {
    model.requireClassifier("trainMinibatchSoft");
    if (!model.loss().supportsSoftTargets()) {
      throw new IllegalStateException("trainMinibatchSoft: loss \"" + model.loss().name() + "\" does not train on soft "
          + "targets; use softmax-cross-entropy, logistic or softmax-squared-error");
    }
    validateMinibatch("trainMinibatchSoft", x, weights, n);
    int k = spec.numClasses();
    if ((long) n * k > targetDistributions.length) {
      throw new IllegalArgumentException("trainMinibatchSoft: targetDistributions must hold n × numClasses = " + n
          + " × " + k + " = " + (long) n * k + " floats, has " + targetDistributions.length);
    }
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int j = 0; j < k; j++) {
        float t = targetDistributions[i * k + j];
        if (!(t >= 0 && t <= 1)) {
          throw new IllegalArgumentException("trainMinibatchSoft: probability of class " + j + " for example " + i
              + " must be in [0, 1], got " + t);
        }
        sum += t;
      }
      if (Math.abs(sum - 1) > DISTRIBUTION_TOLERANCE) {
        throw new IllegalArgumentException("trainMinibatchSoft: target distribution of example " + i
            + " must sum to 1, sums to " + (float) sum);
      }
    }
    float[] inputs = forward("trainMinibatchSoft", x, n);
    double meanLoss = model.loss().softLossAndGradient(batchOutputs, n, k, targetDistributions, weights, batchGradient);
    update(inputs, n, meanLoss);
    return meanLoss;
  }

  /**
   * Trains a regressor on {@code n} examples with real targets, with one optimizer step.
   *
   * @param targets one finite target per example; may be longer than {@code n}
   * @return the weighted mean squared-error loss ({@code ½·(prediction − target)²}) before the step
   * @throws IllegalArgumentException before any state changes, if an argument is invalid
   * @throws IllegalStateException for a classifier
   */
  public double trainMinibatch(float[] x, float[] targets, float[] weights, int n) {
    if (spec.isClassifier()) {
      throw new IllegalStateException("trainMinibatch: " + spec.algorithm() + " with " + spec.numClasses()
          + " classes is a classifier; train it with int labels or trainMinibatchSoft");
    }
    validateMinibatch("trainMinibatch", x, weights, n);
    if (targets.length < n) {
      throw new IllegalArgumentException("trainMinibatch: targets must hold n=" + n + " floats, has " + targets.length);
    }
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(targets[i])) {
        throw new IllegalArgumentException("trainMinibatch: target of example " + i + " must be finite, got " + targets[i]);
      }
    }
    float[] inputs = forward("trainMinibatch", x, n);
    double meanLoss = SquaredError.INSTANCE.lossAndGradient(batchOutputs, n, 1, targets, weights, batchGradient);
    update(inputs, n, meanLoss);
    return meanLoss;
  }

  /**
   * Updates the standardiser, standardises, and runs the training forward pass into {@link #batchOutputs}; returns the
   * network's inputs. With a standardiser, this is where non-finite features are rejected (see
   * {@link #validateMinibatch}), still before any state changes.
   */
  private float[] forward(String method, float[] x, int n) {
    ensureCapacity(n);
    saveForwardState();
    float[] inputs = x;
    if (standardizer != null) {
      if (!standardizer.update(x, n)) {
        throw nonFiniteFeature(method, x, n);
      }
      standardizer.transform(x, n, batchInputs);
      inputs = batchInputs;
    }
    network.forward(inputs, n, batchOutputs, rng);
    return inputs;
  }

  /**
   * Backward pass from {@link #batchGradient}, penalties, clipping and the optimizer step, under the
   * {@link NumericGuard}: a minibatch whose update would make any parameter non-finite is rejected with
   * {@link NonFiniteUpdateException}, after rolling back everything it changed, so the model keeps its last good
   * parameters.
   */
  private void update(float[] inputs, int n, double meanLoss) {
    network.backward(inputs, n, batchGradient);
    optimizers[0] = optimizer;
    // The schedule follows the optimizer's step count, not the model's: a carried warm start carries the former and
    // starts the latter at 0, so its schedule goes on where the saved learner's was.
    String problem = trainingStep.apply(guarded, optimizers, 1, meanLoss, optimizer.steps());
    optimizer = optimizers[0];
    if (problem != null) {
      reject(n, problem);
    }
    model.recordStep(n);
    if (average != null) {
      average.update(model.steps());
      copyRunningStatisticsToServing();
      servingModel.recordStep(n);
    }
    if (teacher != null) {
      teacher.update(model.steps());
      copyStatistics(teacherStatistics);
      teacherModel.recordStep(n);
    }
  }

  private void reject(int n, String problem) {
    restoreForwardState();
    throw NumericGuard.rejection(n, model.steps() + 1, problem);
  }

  private void saveForwardState() {
    rngBackup = rng.state();
    if (standardizer != null) {
      standardizerBackup.copyFrom(standardizer);
    }
    for (int i = 0; i < runningStatistics.size(); i++) {
      float[] stats = runningStatistics.get(i);
      System.arraycopy(stats, 0, runningStatisticsBackup[i], 0, stats.length);
    }
  }

  private void restoreForwardState() {
    rng = SplitMix64.fromState(rngBackup);
    if (standardizer != null) {
      standardizer.copyFrom(standardizerBackup);
    }
    for (int i = 0; i < runningStatistics.size(); i++) {
      float[] stats = runningStatistics.get(i);
      System.arraycopy(runningStatisticsBackup[i], 0, stats, 0, stats.length);
    }
  }

  private void validateMinibatch(String method, float[] x, float[] weights, int n) {
    int d = spec.inputDim();
    if (n < 1) {
      throw new IllegalArgumentException(method + ": n must be >= 1, got " + n);
    }
    if ((long) n * d > x.length) {
      throw new IllegalArgumentException(method + ": x must hold n × inputDim = " + n + " × " + d + " = "
          + (long) n * d + " floats, has " + x.length);
    }
    if (weights != null && weights.length < n) {
      throw new IllegalArgumentException(method + ": weights must hold n=" + n + " floats, has " + weights.length);
    }
    for (int i = 0; weights != null && i < n; i++) {
      if (!(weights[i] >= 0 && weights[i] < Float.POSITIVE_INFINITY)) {
        throw new IllegalArgumentException(
            method + ": weight of example " + i + " must be finite and >= 0, got " + weights[i]);
      }
    }
    // One NaN or infinity would poison the parameters for good, so reject the batch instead. The standardiser's update
    // reads every feature anyway and notices them for free (in forward), so only an unstandardised model scans here.
    if (standardizer == null) {
      IllegalArgumentException problem = nonFiniteFeature(method, x, n);
      if (problem != null) {
        throw problem;
      }
    }
  }

  private IllegalArgumentException nonFiniteFeature(String method, float[] x, int n) {
    return NumericGuard.nonFiniteFeature(method, x, n, spec.inputDim());
  }

  private void ensureCapacity(int n) {
    int outputs = n * network.outputDim();
    if (batchOutputs.length < outputs) {
      batchOutputs = new float[outputs];
      batchGradient = new float[outputs];
      if (standardizer != null) {
        batchInputs = new float[n * spec.inputDim()];
      }
    }
  }

  /** A deep copy: training either one leaves the other unchanged. */
  public OnlineLearner copy() {
    OnlineLearner copy = new OnlineLearner(model.copy(), optimizer.copy(), rng.copy(), blas,
        average == null ? null : servingModel.network().copy());
    if (teacher != null) {
      copy.keepTeacher(teacherSpec);
      copy.teacher.average().copyValuesFrom(teacher.average());
      copy.copyStatistics(copy.teacherStatistics);
    }
    return copy;
  }

  /** {@link OnlineLearnerCodec#write}. */
  public void writeTo(DataOutput out) throws IOException {
    OnlineLearnerCodec.write(this, out);
  }

  /** {@link OnlineLearnerCodec#read}. */
  public static OnlineLearner readFrom(DataInput in) throws IOException {
    return OnlineLearnerCodec.read(in);
  }

  /** {@link OnlineLearnerCodec#toBytes}. */
  @Override
  public byte[] toBytes() {
    return OnlineLearnerCodec.toBytes(this);
  }

  /** {@link OnlineLearnerCodec#fromBytes}. */
  public static OnlineLearner fromBytes(byte[] bytes) {
    return OnlineLearnerCodec.fromBytes(bytes);
  }
}

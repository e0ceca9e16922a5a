package dev.chorus.core.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.blas.Blas;
import dev.chorus.core.embedding.EmbeddingBag;
import dev.chorus.core.features.HashingSpec;
import dev.chorus.core.io.BinaryState;
import dev.chorus.core.loss.LogisticLoss;
import dev.chorus.core.loss.SquaredError;
import dev.chorus.core.nn.Network;
import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.optim.FtrlSpec;
import dev.chorus.core.optim.Optimizer;
import dev.chorus.core.optim.OptimizerSpec;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.spec.SpecReader;
import dev.chorus.core.tensor.RowsApart;
import java.io.DataOutput;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Wide and deep (Cheng et al., "Wide &amp; Deep Learning for Recommender Systems", DLRS 2016) on named fields, as
 * one {@code wide-deep} spec: the wide part is a {@link SparseLinearModel} on the hashed features
 * ({@link ModelSpec#hashing()}) stepped by {@link ModelSpec#wideOptimizer()}, unscheduled; the deep part is an
 * {@link EmbeddingBag} per embedding field ({@link ModelSpec#embeddings()}), concatenated with the numeric fields,
 * feeding the spec's hidden layers and a linear output ({@link NetworkBuilder}), stepped through
 * {@link TrainingStep} with the spec's optimizer, schedule (at the deep optimizer's step count, which a carried warm
 * start carries), clipping and penalties (the tables by their own AdaGrad).
 * The two parts' raw outputs are summed, and one loss (logistic, softmax cross-entropy or squared error) trains
 * both jointly on each minibatch. A minibatch whose loss, a gradient or a resulting parameter is not finite is a
 * {@link NonFiniteUpdateException} and leaves every part as it was.
 *
 * <p>Memory: the wide part's ({@link SparseLinearModel}), each table's ({@link EmbeddingBag}: 12 bytes per
 * parameter), and the network's (weights, gradients and the optimizer's slots, 4 bytes each).
 *
 * <p>Saved bytes ({@link #toBytes}, format {@value #FORMAT_VERSION}, first int {@link #MAGIC}): the spec, the
 * counts, the dropout generator, the wide part's own format, each table's rows that a step changed (the others are
 * drawn again from the spec's seed), the network's values and state, the deep optimizer's state.
 */
public final class WideDeepModel implements Predictor {

  /** "CHWD": the first int of a saved wide and deep model. */
  public static final int MAGIC = 0x43485744;
  public static final int FORMAT_VERSION = 1;
  static final OptimizerSpec DEFAULT_WIDE_OPTIMIZER = new FtrlSpec(FtrlSpec.DEFAULT_ALPHA, FtrlSpec.DEFAULT_BETA, 0, 0);

  private final ModelSpec spec;
  /** The spec's JSON, encoded once: every write holds it, with the rows apart every record's. */
  private final byte[] specJson;
  private final SparseLinearModel wide;
  private final EmbeddingBag[] bags;
  private final Network network;
  private final ModelSpec deepSpec;
  private final TrainingStep trainingStep;
  private final ParameterSet[] deepGroup;
  private final Optimizer[] deepOptimizer;
  private final List<float[]> runningStatistics;
  /** Batch normalisation's running statistics before the last training forward pass, to roll it back. */
  private final float[][] runningStatisticsBackup;
  private final int outputs;
  private final int width;
  private SplitMix64 rng;
  private float[] inputs = new float[0];
  private float[] inputGradient = new float[0];
  private float[] deepOutputs = new float[0];
  private float[] logits = new float[0];
  private float[] outputGradient = new float[0];
  private long steps;
  private long examplesSeen;
  private RowsApart rowsApart;

  private WideDeepModel(ModelSpec spec, SparseLinearModel wide, EmbeddingBag[] bags, Network network,
      Optimizer optimizer, SplitMix64 rng) {
    this.spec = spec;
    this.specJson = spec.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    this.wide = wide;
    this.bags = bags;
    this.network = network;
    this.deepSpec = deepSpec(spec);
    this.trainingStep = new TrainingStep(deepSpec);
    this.deepGroup = new ParameterSet[] {network.parameters()};
    this.deepOptimizer = new Optimizer[] {optimizer};
    this.runningStatistics = network.runningStatistics();
    this.runningStatisticsBackup = runningStatistics.stream().map(float[]::clone).toArray(float[][]::new);
    this.outputs = network.outputDim();
    this.width = spec.embeddings().inputWidth();
    this.rng = rng;
  }

  /** A fresh model of {@code spec}, a {@code wide-deep} one: tables, then the network, drawn from its seed. */
  public static WideDeepModel create(ModelSpec spec) {
    if (!spec.algorithm().equals(ModelSpec.WIDE_DEEP)) {
      throw new IllegalArgumentException("WideDeepModel: expected algorithm \"wide-deep\", got " + spec);
    }
    SplitMix64 rng = SplitMix64.seeded(spec.seed());
    EmbeddingsSpec embeddings = spec.embeddings();
    EmbeddingBag[] bags = new EmbeddingBag[embeddings.fields().size()];
    for (int f = 0; f < bags.length; f++) {
      bags[f] = EmbeddingBag.create(embeddings.fields().get(f), embeddings.buckets(), embeddings.dim(),
          embeddings.combiner(), embeddings.learningRate(), embeddings.l2(), rng);
    }
    ModelSpec deep = deepSpec(spec);
    Network network = NetworkBuilder.network(deep, Blas.get(), rng);
    return new WideDeepModel(spec, SparseLinearModel.create(wideSpec(spec)), bags, network,
        deep.optimizer().create(), rng);
  }

  /** Checks what a {@code wide-deep} spec needs beyond an mlp's keys; {@link ModelSpec} calls this. */
  static void requireSupported(ModelSpec spec) {
    HashingSpec hashing = spec.hashing();
    if (hashing == null) {
      throw new IllegalArgumentException("ModelSpec key 'hashing': expected an object like {\"bits\":20} with "
          + "algorithm wide-deep, got nothing (key missing)");
    }
    EmbeddingsSpec embeddings = spec.embeddings();
    if (embeddings == null) {
      throw new IllegalArgumentException("ModelSpec key 'embeddings': expected an object like "
          + EmbeddingsSpec.EXAMPLE + " with algorithm wide-deep, got nothing (key missing)");
    }
    if (spec.inputDim() != hashing.dimension()) {
      throw new IllegalArgumentException("ModelSpec key 'inputDim': expected 2^hashing.bits = " + hashing.dimension()
          + ", got " + spec.inputDim());
    }
    if (!SparseLinearModel.OPTIMIZERS.contains(spec.wideOptimizer().type())) {
      throw new IllegalArgumentException("ModelSpec key 'wideOptimizer.type': expected one of "
          + SpecReader.quoted(SparseLinearModel.OPTIMIZERS) + " for the wide part, got \""
          + spec.wideOptimizer().type() + "\"");
    }
    if (spec.standardize()) {
      throw new IllegalArgumentException(
          "ModelSpec key 'standardize': expected false with hashing (hashed features are not standardized), got true");
    }
    if (spec.labelModel() != null) {
      throw new IllegalArgumentException("ModelSpec key 'labelModel': expected none with hashing, got "
          + spec.labelModel().method());
    }
    if (!hashing.fields().isEmpty()) {
      for (String key : List.of("fields", "numeric")) {
        for (String field : key.equals("fields") ? embeddings.fields() : embeddings.numeric()) {
          if (!hashing.fields().contains(field)) {
            throw new IllegalArgumentException("ModelSpec key 'embeddings." + key + "': expected fields among "
                + "hashing.fields " + hashing.fields() + ", got \"" + field + "\"");
          }
        }
      }
    }
  }

  /** The wide part's spec: the linear algorithm of this loss on the hashed features, stepped by wideOptimizer. */
  static ModelSpec wideSpec(ModelSpec spec) {
    ObjectNode json = SpecReader.newObject();
    json.put("algorithm", spec.loss().equals(SquaredError.NAME) ? ModelSpec.LINEAR_REGRESSION
        : spec.loss().equals(LogisticLoss.NAME) ? ModelSpec.LOGISTIC_REGRESSION : ModelSpec.SOFTMAX_REGRESSION);
    if (spec.isClassifier()) {
      json.put("numClasses", spec.numClasses());
    }
    spec.hashing().writeJson(json.putObject("hashing"));
    spec.wideOptimizer().writeJson(json.putObject("optimizer"));
    json.put("batchSize", spec.batchSize());
    json.put("standardize", false);
    json.put("seed", spec.seed());
    return ModelSpec.parse(json.toString());
  }

  /** The deep part's spec: this one as an mlp on the embeddings' width, without the wide part's keys. */
  static ModelSpec deepSpec(ModelSpec spec) {
    ObjectNode json = (ObjectNode) SpecReader.document(spec.toJson()).node();
    json.put("algorithm", ModelSpec.MLP);
    json.put("inputDim", spec.embeddings().inputWidth());
    json.remove(List.of("hashing", "embeddings", "wideOptimizer"));
    return ModelSpec.parse(json.toString());
  }

  /**
   * One joint step on a classifier's minibatch.
   *
   * @param labels class indices, one per row
   * @param exampleWeights non-negative weights, one per row, or {@code null} for all ones
   * @return the weighted mean loss before the step
   * @throws IllegalArgumentException before any state changes, for a label out of range
   * @throws NonFiniteUpdateException if the loss, a gradient or a stepped parameter is not finite; the model is
   *     unchanged
   */
  public double trainMinibatch(WideDeepBatch batch, int[] labels, float[] exampleWeights) {
    if (!isClassifier()) {
      throw new IllegalStateException("trainMinibatch with labels: " + spec.algorithm() + " is a regressor");
    }
    int n = requireBatch(batch);
    spec.requireLabels("trainMinibatch", labels, n);
    long rngBefore = forward(batch, n);
    double loss = spec.classificationLoss().lossAndGradient(logits, n, spec.numClasses(), labels, exampleWeights,
        outputGradient);
    return step(batch, n, loss, rngBefore);
  }

  /** One joint step on a regressor's minibatch with real {@code targets}, one per row; as above. */
  public double trainMinibatch(WideDeepBatch batch, float[] targets, float[] exampleWeights) {
    if (isClassifier()) {
      throw new IllegalStateException("trainMinibatch with targets: " + spec.algorithm() + " is a classifier");
    }
    int n = requireBatch(batch);
    long rngBefore = forward(batch, n);
    double loss = SquaredError.INSTANCE.lossAndGradient(logits, n, 1, targets, exampleWeights, outputGradient);
    return step(batch, n, loss, rngBefore);
  }

  private int requireBatch(WideDeepBatch batch) {
    int n = batch.rows();
    if (n < 1) {
      throw new IllegalArgumentException("trainMinibatch: expected at least one row, got 0");
    }
    if (logits.length < n * outputs) {
      inputs = new float[n * width];
      inputGradient = new float[n * width];
      deepOutputs = new float[n * outputs];
      logits = new float[n * outputs];
      outputGradient = new float[n * outputs];
    }
    return n;
  }

  /** The deep part's inputs of {@code batch}: each field's bags, then the numeric fields. */
  private void deepInputs(WideDeepBatch batch, int n, float[] into) {
    int dim = spec.embeddings().dim();
    for (int f = 0; f < bags.length; f++) {
      bags[f].forward(batch.ids(f), into, width, f * dim);
    }
    int numeric = spec.embeddings().numeric().size();
    for (int r = 0; r < n; r++) {
      System.arraycopy(batch.numeric(), r * numeric, into, r * width + bags.length * dim, numeric);
    }
  }

  /**
   * Both parts' training forward pass, their sum into {@link #logits}, after keeping what a rejected minibatch puts
   * back (batch-norm statistics; the returned dropout generator state).
   */
  private long forward(WideDeepBatch batch, int n) {
    long rngBefore = rng.state();
    for (int i = 0; i < runningStatistics.size(); i++) {
      float[] stats = runningStatistics.get(i);
      System.arraycopy(stats, 0, runningStatisticsBackup[i], 0, stats.length);
    }
    deepInputs(batch, n, inputs);
    network.forward(inputs, n, deepOutputs, rng);
    float[] wideOutputs = wide.rawOutputs(batch.wide());
    for (int i = 0; i < n * outputs; i++) {
      logits[i] = deepOutputs[i] + wideOutputs[i];
    }
    return rngBefore;
  }

  private double step(WideDeepBatch batch, int n, double loss, long rngBefore) {
    network.backward(inputs, n, outputGradient, inputGradient);
    int dim = spec.embeddings().dim();
    for (int f = 0; f < bags.length; f++) {
      bags[f].backward(batch.ids(f), inputGradient, width, f * dim);
    }
    String problem = null;
    for (int f = 0; f < bags.length && problem == null; f++) {
      problem = bags[f].firstNonFiniteGradient();
    }
    if (problem == null && !Double.isFinite(loss)) {
      problem = "loss " + loss;
    }
    if (problem != null) {
      return reject(n, problem, rngBefore, 0);
    }
    try {
      wide.stepOnOutputGradient(batch.wide(), outputGradient, loss);
    } catch (NonFiniteUpdateException e) {
      rollBack(rngBefore, 0);
      throw e;
    }
    for (int f = 0; f < bags.length; f++) {
      problem = bags[f].step();
      if (problem != null) {
        wide.undoStep();
        return reject(n, problem, rngBefore, f);
      }
    }
    // Scheduled by the deep optimizer's step count, which a carried warm start carries (the model's starts at 0).
    problem = trainingStep.apply(deepGroup, deepOptimizer, 1, loss, deepOptimizer[0].steps());
    if (problem != null) {
      wide.undoStep();
      return reject(n, problem, rngBefore, bags.length);
    }
    steps++;
    examplesSeen += n;
    return loss;
  }

  private double reject(int n, String problem, long rngBefore, int steppedBags) {
    rollBack(rngBefore, steppedBags);
    throw NumericGuard.rejection(n, steps + 1, problem);
  }

  /**
   * Undoes the steps of the first {@code steppedBags} tables, drops the others' gradients, and puts back the
   * forward pass's dropout generator and batch-norm statistics.
   */
  private void rollBack(long rngBefore, int steppedBags) {
    for (int f = 0; f < bags.length; f++) {
      if (f < steppedBags) {
        bags[f].undoStep();
      } else {
        bags[f].discardGradient();
      }
    }
    rng = SplitMix64.fromState(rngBefore);
    for (int i = 0; i < runningStatistics.size(); i++) {
      float[] stats = runningStatistics.get(i);
      System.arraycopy(runningStatisticsBackup[i], 0, stats, 0, stats.length);
    }
  }

  /**
   * Inference-mode outputs of every row of {@code batch} into {@code out}: class probabilities
   * ({@code rows × numClasses}) for a classifier, values ({@code rows}) for a regressor. Changes no state.
   */
  public void predictBatch(WideDeepBatch batch, float[] out) {
    int n = batch.rows();
    float[] x = new float[n * width];
    deepInputs(batch, n, x);
    float[] raw = new float[n * outputs];
    network.predictBatch(x, n, raw);
    float[] wideOutputs = wide.rawOutputs(batch.wide());
    for (int i = 0; i < n * outputs; i++) {
      raw[i] += wideOutputs[i];
    }
    if (!isClassifier()) {
      System.arraycopy(raw, 0, out, 0, n);
      return;
    }
    float[] row = new float[spec.numClasses()];
    for (int r = 0; r < n; r++) {
      spec.classificationLoss().probabilities(raw, r * outputs, spec.numClasses(), row);
      System.arraycopy(row, 0, out, r * row.length, row.length);
    }
  }

  /** Class probabilities of one example's named {@code fields} into {@code out[0 .. numClasses)}. */
  public void predictProba(Map<String, ?> fields, float[] out) {
    if (!isClassifier()) {
      throw new IllegalStateException("predictProba: " + spec.algorithm() + " is a regressor");
    }
    predictBatch(single(fields), out);
  }

  /** The predicted value of one example's named {@code fields}; for a regressor. */
  public float predictValue(Map<String, ?> fields) {
    if (isClassifier()) {
      throw new IllegalStateException("predictValue: " + spec.algorithm() + " is a classifier");
    }
    float[] out = new float[1];
    predictBatch(single(fields), out);
    return out[0];
  }

  private WideDeepBatch single(Map<String, ?> fields) {
    WideDeepBatch batch = new WideDeepBatch(spec);
    batch.add(fields);
    return batch;
  }

  @Override
  public ModelSpec spec() {
    return spec;
  }

  /** The hashed dimension of the wide part ({@code 2^hashing.bits}); examples arrive as named fields. */
  @Override
  public int inputDim() {
    return spec.inputDim();
  }

  @Override
  public boolean isClassifier() {
    return spec.isClassifier();
  }

  @Override
  public int outputDim() {
    return isClassifier() ? spec.numClasses() : 1;
  }

  /** Refused: the embedding fields' ids are not in any vector; {@link #predictProba(Map, float[])} is the way. */
  @Override
  public void predictProba(float[] x, int xOffset, float[] out) {
    throw new UnsupportedOperationException(
        "predictProba: a wide-deep model predicts named fields (predictProba(Map, float[])), not a vector");
  }

  /** Refused, as {@link #predictProba(float[], int, float[])}; {@link #predictValue(Map)} is the way. */
  @Override
  public float predictValue(float[] x, int xOffset) {
    throw new UnsupportedOperationException(
        "predictValue: a wide-deep model predicts named fields (predictValue(Map)), not a vector");
  }

  @Override
  public String firstNonFinite() {
    String bad = wide.firstNonFinite();
    bad = bad == null ? null : "wide part's " + bad;
    for (int i = 0; bad == null && i < bags.length; i++) {
      bad = bags[i].firstNonFinite();
    }
    return bad != null ? bad : NumericGuard.firstNonFinite("deep part's ", network);
  }

  @Override
  public long steps() {
    return steps;
  }

  @Override
  public long examplesSeen() {
    return examplesSeen;
  }

  byte[] specJson() {
    return specJson;
  }

  /** The wide part, whose weights a test or an inspector may read. */
  public SparseLinearModel wide() {
    return wide;
  }

  /** The table of embedding field {@code field} (its index in {@link EmbeddingsSpec#fields()}). */
  public EmbeddingBag embedding(int field) {
    return bags[field];
  }

  /** An independent model with equal spec and a deep copy of every part's values, state and counts. */
  public WideDeepModel copy() {
    EmbeddingBag[] copies = new EmbeddingBag[bags.length];
    for (int f = 0; f < bags.length; f++) {
      copies[f] = bags[f].copy();
    }
    WideDeepModel copy = new WideDeepModel(spec, wide.copy(), copies, network.copy(), deepOptimizer[0].copy(),
        rng.copy());
    copy.steps = steps;
    copy.examplesSeen = examplesSeen;
    return copy;
  }

  /**
   * A model of {@code spec} (this one's shape and seed) with these weights, tables and layer state, and with
   * {@code carry} every part's optimizer state (the wide part's slots, the tables' accumulators, the network's
   * optimizer and its step count, which the deep schedule follows), else none; its counts and generator are the new
   * spec's. Its tables may learn at another rate and decay ({@link EmbeddingBag#startFrom}): it answers as this model
   * does, and its tables decay at their own rate from then on.
   *
   * @throws IllegalArgumentException if {@code spec}'s seed is not this model's, from which the tables' rows never
   *     stepped are drawn ({@link LearnerWarmStart#tableSeedDifference}), or if this model's tables owe a decay
   *     (l2 &gt; 0, stepped) and {@code spec}'s decay at another rate, naming the key
   */
  public WideDeepModel warmStart(ModelSpec spec, boolean carry) {
    LearnerWarmStart.requireFits(LearnerWarmStart.tableSeedDifference(spec, this.spec));
    WideDeepModel started = create(spec);
    for (int f = 0; f < bags.length; f++) {
      if (bags[f].owesDecay() && started.bags[f].decay() != bags[f].decay()) {
        throw otherDecay(spec.embeddings());
      }
      started.bags[f].startFrom(bags[f], carry);
    }
    try {
      started.network.parameters()
          .readValues(new BinaryState.Bytes(BinaryState.toBytes(network.parameters()::writeValues)));
      started.network.readState(new BinaryState.Bytes(BinaryState.toBytes(network::writeState)));
      if (carry) {
        started.deepOptimizer[0].readState(new BinaryState.Bytes(BinaryState.toBytes(deepOptimizer[0]::writeState)),
            started.network.parameters());
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("saved wide and deep model of shape " + this.spec.shape()
          + " does not fit one of shape " + spec.shape() + ": " + e.getMessage(), e);
    }
    // The wide part takes no schedule (wideSpec), so it carries no step count: its bytes stay format 1.
    return new WideDeepModel(spec, wide.warmStart(wideSpec(spec), carry, false), started.bags, started.network,
        started.deepOptimizer[0], started.rng);
  }

  /**
   * Why the tables of {@code wanted} cannot take over these, which owe their rows a decay: a table at another rate
   * would apply its own to what they owe, and the rows never stepped are not stored to be brought up to date.
   */
  private IllegalArgumentException otherDecay(EmbeddingsSpec wanted) {
    EmbeddingsSpec saved = spec.embeddings();
    String key = wanted.l2() == saved.l2() ? "learningRate" : "l2";
    return new IllegalArgumentException("key 'embeddings." + key + "': expected a decay per step 1 − learningRate × l2"
        + " = " + bags[0].decay() + " (learningRate " + saved.learningRate() + ", l2 " + saved.l2() + ": the saved "
        + "model's, whose tables owe their rows that decay for the steps since each was last stepped, rows never "
        + "stepped included), got " + (1 - wanted.learningRate() * wanted.l2()) + " (learningRate "
        + wanted.learningRate() + ", l2 " + wanted.l2() + "); keep the saved model's learningRate × l2, or start "
        + "from a model trained with embeddings.l2 0");
  }

  /** The saved form described in the class comment. */
  @Override
  public byte[] toBytes() {
    // Sized for the parts that grow (the wide rows and table rows written); the network's few KB are a bound.
    long size = 1024 + 2L * specJson.length + wide.savedSizeBound(wide.specJson().length)
        + 16L * deepSpec.weightCount();
    for (EmbeddingBag bag : bags) {
      size += bag.savedSize();
    }
    return BinaryState.toBytes((int) Math.min(size, Integer.MAX_VALUE - 8), out -> writeTo(out, true));
  }

  /**
   * This model's rows (the wide part's, then each table's, {@link ConcatenatedRows}) for a holder that keeps them
   * apart; written without them, the rest is {@link #toBytes}'s format with no rows, which {@link #fromBytes} reads.
   */
  public RowsApart rowsApart() {
    if (rowsApart == null) {
      RowsApart[] parts = new RowsApart[bags.length + 1];
      parts[0] = wide;
      System.arraycopy(bags, 0, parts, 1, bags.length);
      rowsApart = new ConcatenatedRows(out -> writeTo(out, false), parts);
    }
    return rowsApart;
  }

  private void writeTo(DataOutput out, boolean rows) throws IOException {
    SavedModelHeader.write(out, MAGIC, FORMAT_VERSION, specJson, steps, examplesSeen);
    out.writeLong(rng.state());
    BinaryState.Writer wideRows = rows ? wide::writeTo : wide::writeWithoutRowsTo;
    wideRows.write(out);
    for (EmbeddingBag bag : bags) {
      BinaryState.Writer bagRows = rows ? bag::writeTo : bag::writeWithoutRowsTo;
      bagRows.write(out);
    }
    network.parameters().writeValues(out);
    network.writeState(out);
    deepOptimizer[0].writeState(out);
  }

  /**
   * Reads {@link #toBytes}.
   *
   * @throws IllegalArgumentException if the bytes are not a whole saved wide and deep model
   */
  public static WideDeepModel fromBytes(byte[] bytes) {
    try (BinaryState.Bytes in = new BinaryState.Bytes(bytes)) {
      SavedModelHeader.readMagicAndVersion(in, "WideDeepModel", MAGIC, FORMAT_VERSION);
      ModelSpec spec = ModelSpec.parse(BinaryState.readString(in, "WideDeepModel spec"));
      // The network's weights are all in the stream: a shape the bytes cannot hold is refused before it is built.
      BinaryState.requireFits(in, deepSpec(spec).weightCount(), Float.BYTES,
          "WideDeepModel spec " + spec.shape() + " network weights");
      // The tables' rows that were never stepped, and the network's shape, come from the spec's seed.
      WideDeepModel fresh = create(spec);
      long steps = in.readLong();
      long examplesSeen = in.readLong();
      if (steps < 0 || examplesSeen < 0) {
        throw new IOException("WideDeepModel: steps " + steps + ", examples " + examplesSeen + " out of range");
      }
      SplitMix64 rng = SplitMix64.fromState(in.readLong());
      SparseLinearModel wide = SparseLinearModel.readFrom(in);
      if (!wide.spec().equals(fresh.wide.spec())) {
        throw new IOException("WideDeepModel: wide part's spec " + wide.spec() + ", expected " + fresh.wide.spec());
      }
      for (EmbeddingBag bag : fresh.bags) {
        bag.readFrom(in);
      }
      fresh.network.parameters().readValues(in);
      fresh.network.readState(in);
      fresh.deepOptimizer[0].readState(in, fresh.network.parameters());
      if (in.remaining() > 0) {
        throw new IOException(in.remaining() + " trailing bytes");
      }
      WideDeepModel model =
          new WideDeepModel(fresh.spec, wide, fresh.bags, fresh.network, fresh.deepOptimizer[0], rng);
      model.steps = steps;
      model.examplesSeen = examplesSeen;
      return model;
    } catch (IOException e) {
      throw new IllegalArgumentException("corrupt WideDeepModel bytes: " + e.getMessage(), e);
    }
  }
}

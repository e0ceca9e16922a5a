package dev.chorus.core.output;

import dev.chorus.core.loss.ExampleWeights;
import dev.chorus.core.loss.SoftmaxCrossEntropy;
import dev.chorus.core.output.SampledSoftmaxSpec.Objective;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.tensor.Finite;
import dev.chorus.core.tensor.RowsApart;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * An output layer over up to 10^6 classes, {@code logit_c = w_c·x + b_c}, trained on a sample of the classes
 * instead of all of them (Bengio and Senécal 2008; Jean et al., "On Using Very Large Target Vocabulary for Neural
 * Machine Translation", ACL 2015).
 *
 * <p><b>Training.</b> Per minibatch, {@code k} classes are drawn with replacement from the {@link LogUniformSampler}
 * proposal Q and shared by its rows. Each row scores its own true class and the k sampled ones, so a row costs
 * {@code (1 + k)·d} multiply-adds for its logits and as many again for each of the weight and input gradients,
 * whatever the class count; only the rows of the true classes and the sample get a gradient and an update. With
 * {@link Objective#SAMPLED_SOFTMAX} every one of those logits is corrected by subtracting {@code log Q(c)}, which
 * makes the sampled softmax a consistent estimate of the full one, and a sampled class equal to the row's true
 * class (an accidental hit) is removed from that row's logits. With {@link Objective#NEGATIVE_SAMPLING} (word2vec's
 * SGNS) the loss is logistic, {@code −log σ(s_true) − Σ log σ(−s_neg)}, uncorrected, accidental hits skipped.
 *
 * <p><b>Inference</b> is exact: a softmax over all C classes by a scan ({@link #predictProba}, {@link #predictTopK},
 * O(C·d)). Sampled softmax learns logits whose full softmax estimates P(c | x), so inference uses them as they are.
 * Negative sampling learns {@code s_c ≈ log(P(c | x) / (k·Q(c)))}, so inference adds the correction back:
 * the softmax of {@code s_c + log Q(c)} (the constant {@code log k} cancels).
 *
 * <p>Weights start at zero (the loss is convex in them for fixed inputs). Not thread-safe.
 */
public final class SampledSoftmax {

  private final SampledSoftmaxSpec spec;
  private final int dim;
  private final float[] weights;
  private final float[] bias;
  private final LogUniformSampler proposal;
  private SplitMix64 random;
  private final RowGradients gradient;
  private long multiplyAdds;
  private OutputRows rows;

  /** A layer over inputs of {@code dim} features; {@code seed} seeds the proposal's draws. */
  public SampledSoftmax(SampledSoftmaxSpec spec, int dim, long seed) {
    if (dim < 1) {
      throw new IllegalArgumentException("dim: expected an integer >= 1, got " + dim);
    }
    if ((long) spec.classes() * dim > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("classes × dim: expected at most " + (Integer.MAX_VALUE - 8)
          + " weights in one array, got " + (long) spec.classes() * dim);
    }
    this.spec = spec;
    this.dim = dim;
    this.weights = new float[spec.classes() * dim];
    this.bias = new float[spec.classes()];
    this.proposal = new LogUniformSampler(spec.classes());
    this.random = SplitMix64.seeded(seed);
    this.gradient = new RowGradients(dim);
  }

  /** Null when every output weight and bias is finite, else which is not and where. */
  public String firstNonFinite() {
    String bad = Finite.firstNonFinite("sampled softmax weight", weights);
    return bad != null ? bad : Finite.firstNonFinite("sampled softmax bias", bias);
  }

  public SampledSoftmaxSpec spec() {
    return spec;
  }

  /** k class ids drawn with replacement from the proposal, for one minibatch. */
  public int[] drawSample() {
    int[] sample = new int[spec.negatives()];
    for (int j = 0; j < sample.length; j++) {
      sample[j] = proposal.sample(random);
    }
    return sample;
  }

  /**
   * One SGD step on a minibatch: draws a sample, computes the sampled loss's gradient and subtracts
   * {@code learningRate} times it from the touched rows. Returns the mean loss.
   *
   * @param x {@code rows × dim} features, row-major
   * @throws ArithmeticException if the step would make a row non-finite ({@link #apply}); the rows are as they were
   */
  public double trainMinibatch(float[] x, int rows, int[] labels, float learningRate) {
    double loss = lossAndGradient(x, rows, labels, null, drawSample(), null, gradient);
    String overflow = apply(gradient, learningRate);
    if (overflow != null) {
      throw new ArithmeticException("sampled softmax step rolled back: " + overflow);
    }
    return loss;
  }

  /**
   * Subtracts {@code learningRate} times {@code gradient} from the rows it touched, unless a row would not be finite.
   *
   * @return null, or which row would not be finite; then every row is as it was
   */
  public String apply(RowGradients gradient, float learningRate) {
    multiplyAdds += (long) gradient.size() * dim;
    String overflow = gradient.applyTo(weights, bias, learningRate, "sampled softmax class");
    if (overflow == null && rows != null) {
      rows.stepping(gradient);
    }
    return overflow;
  }

  /**
   * The mean sampled loss of a minibatch over the classes of {@code sample}, weighted by {@code exampleWeights}
   * (non-negative, one per row, or null for all ones), its gradient with respect to the touched rows into
   * {@code gradient} (cleared first) and, unless null, with respect to the inputs into {@code inputGradient}
   * ({@code rows × dim}, overwritten): what a network below this layer back-propagates. Weights all zero: loss 0, no
   * gradient.
   */
  public double lossAndGradient(float[] x, int rows, int[] labels, float[] exampleWeights, int[] sample,
      float[] inputGradient, RowGradients gradient) {
    Labels.requireClasses(labels, rows, spec.classes());
    gradient.clear();
    if (inputGradient != null) {
      Arrays.fill(inputGradient, 0, rows * dim, 0f);
    }
    boolean softmax = spec.objective() == Objective.SAMPLED_SOFTMAX;
    int k = sample.length;
    int[] candidates = new int[1 + k];
    double[] logits = new double[1 + k];
    double[] grads = new double[1 + k];
    double totalWeight = ExampleWeights.total(exampleWeights, rows);
    double total = 0;
    for (int i = 0; i < rows; i++) {
      double weight = exampleWeights == null ? 1 : exampleWeights[i];
      if (weight == 0) {
        continue;
      }
      int xOffset = i * dim;
      int label = labels[i];
      candidates[0] = label;
      System.arraycopy(sample, 0, candidates, 1, k);
      for (int j = 0; j <= k; j++) {
        int c = candidates[j];
        boolean hit = j > 0 && c == label;
        logits[j] = hit ? Double.NEGATIVE_INFINITY
            : Vectors.dot(weights, c * dim, x, xOffset, dim) + bias[c] - (softmax ? proposal.logProbability(c) : 0);
      }
      multiplyAdds += (long) (1 + k) * dim;
      total += weight * (softmax ? softmaxLoss(logits, grads) : negativeSamplingLoss(logits, grads));
      for (int j = 0; j <= k; j++) {
        if (grads[j] != 0) {
          int c = candidates[j];
          double g = grads[j] * weight / totalWeight;
          gradient.add(c, g, x, xOffset);
          multiplyAdds += dim;
          if (inputGradient != null) {
            Vectors.axpy(dim, g, weights, c * dim, inputGradient, xOffset);
            multiplyAdds += dim;
          }
        }
      }
    }
    return totalWeight == 0 ? 0 : total / totalWeight;
  }

  /** Cross-entropy with target index 0 over {@code logits} (−∞ for a removed hit); gradient into {@code grads}. */
  private static double softmaxLoss(double[] logits, double[] grads) {
    double max = Double.NEGATIVE_INFINITY;
    for (double z : logits) {
      max = Math.max(max, z);
    }
    double sum = 0;
    for (double z : logits) {
      sum += Math.exp(z - max);
    }
    double logSumExp = max + Math.log(sum);
    for (int j = 0; j < logits.length; j++) {
      grads[j] = Math.exp(logits[j] - logSumExp) - (j == 0 ? 1 : 0);
    }
    return logSumExp - logits[0];
  }

  /** {@code −log σ(s₀) − Σⱼ log σ(−sⱼ)} over the finite logits; gradient into {@code grads}. */
  private static double negativeSamplingLoss(double[] logits, double[] grads) {
    double loss = -Vectors.logSigmoid(logits[0]);
    grads[0] = Vectors.sigmoid(logits[0]) - 1;
    for (int j = 1; j < logits.length; j++) {
      if (logits[j] == Double.NEGATIVE_INFINITY) {
        grads[j] = 0;
      } else {
        loss -= Vectors.logSigmoid(-logits[j]);
        grads[j] = Vectors.sigmoid(logits[j]);
      }
    }
    return loss;
  }

  /** The inference logit of class {@code c} (see the class comment). */
  private double inferenceLogit(float[] x, int offset, int c) {
    double logit = Vectors.dot(weights, c * dim, x, offset, dim) + bias[c];
    return spec.objective() == Objective.NEGATIVE_SAMPLING ? logit + proposal.logProbability(c) : logit;
  }

  /** The full softmax over all classes of the features at {@code x[offset ..]} into {@code probabilities}. */
  public void predictProba(float[] x, int offset, float[] probabilities) {
    float[] logits = new float[spec.classes()];
    for (int c = 0; c < logits.length; c++) {
      logits[c] = (float) inferenceLogit(x, offset, c);
    }
    SoftmaxCrossEntropy.INSTANCE.probabilities(logits, 0, logits.length, probabilities);
  }

  /** The {@code k} most probable classes under the full softmax, most probable first, by one scan. */
  public List<Scored> predictTopK(float[] x, int offset, int k) {
    TopK top = new TopK(k, spec.classes());
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    for (int c = 0; c < spec.classes(); c++) {
      double logit = inferenceLogit(x, offset, c);
      // Running log-sum-exp: rescale the sum whenever the maximum grows.
      if (logit > max) {
        sum = sum * Math.exp(max - logit) + 1;
        max = logit;
      } else {
        sum += Math.exp(logit - max);
      }
      top.offer(c, logit);
    }
    double logSumExp = max + Math.log(sum);
    return top.result().stream().map(s -> new Scored(s.id(), Math.exp(s.score() - logSumExp))).toList();
  }

  /** Multiply-adds spent in training so far: logits, gradients and updates. */
  public long multiplyAdds() {
    return multiplyAdds;
  }

  /** Writes the proposal's generator state, then the rows that are not all zero ({@link SavedRows}). */
  public void writeTo(DataOutput out) throws IOException {
    out.writeLong(random.state());
    SavedRows.write(weights, bias, dim, out);
  }

  /** How many bytes {@link #writeTo} writes. */
  public long savedSize() {
    return Long.BYTES + SavedRows.savedSize(weights, bias, dim);
  }

  /** Reads what {@link #writeTo} wrote into this layer, freshly created with the same spec and dim. */
  public void readFrom(DataInput in) throws IOException {
    random = SplitMix64.fromState(in.readLong());
    SavedRows.read(in, weights, bias, dim, "sampled softmax");
  }

  /** The class rows for a holder that keeps them apart; without them, {@link #writeTo}'s format holds the generator. */
  public RowsApart rowsApart() {
    if (rows == null) {
      rows = new OutputRows(weights, bias, dim, out -> {
        out.writeLong(random.state());
        out.writeInt(0);
      });
    }
    return rows;
  }

  float[] weights() {
    return weights;
  }

  float[] bias() {
    return bias;
  }
}

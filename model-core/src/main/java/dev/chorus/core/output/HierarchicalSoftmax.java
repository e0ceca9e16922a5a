package dev.chorus.core.output;

import dev.chorus.core.loss.ExampleWeights;
import dev.chorus.core.tensor.Finite;
import dev.chorus.core.tensor.RowsApart;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;

/**
 * An output layer over many classes as a binary tree of logistic decisions (Morin and Bengio 2005; Mikolov et al.
 * 2013, word2vec's layout): a {@link HuffmanTree} over class counts, so frequent classes have short paths; inner
 * node n has a vector {@code v_n} and a bias {@code b_n}, and at it the path takes bit 0 with probability
 * {@code σ(v_n·x + b_n)} and bit 1 with {@code σ(−(v_n·x + b_n))}. A class's probability is the product along its
 * path, so the probabilities of all classes sum to 1 exactly and no normaliser is ever computed: training, the
 * log-probability of a class and its gradient cost O(depth · d), O(log C · d) for a balanced-enough tree.
 *
 * <p>Top-k is a best-first search from the root on the path log-probability, which only decreases going down: the
 * first k leaves it reaches are the k most probable classes, exactly. Vectors start at zero, as word2vec's do
 * (every class starts at its tree prior 2^−depth). Not thread-safe.
 */
public final class HierarchicalSoftmax {

  private final HierarchicalSoftmaxSpec spec;
  private final int dim;
  private final HuffmanTree tree;
  private final float[] nodeWeights;
  private final float[] nodeBias;
  private final RowGradients gradient;
  private long multiplyAdds;
  private OutputRows rows;

  /**
   * A layer over inputs of {@code dim} features whose tree is built on {@code counts}, one per class, each at least
   * 1 ({@link #countsOf} smooths counts estimated on a prefix).
   */
  public HierarchicalSoftmax(HierarchicalSoftmaxSpec spec, int dim, long[] counts) {
    if (counts.length != spec.classes()) {
      throw new IllegalArgumentException("counts: expected one count per class, " + spec.classes() + ", got "
          + counts.length);
    }
    for (int c = 0; c < counts.length; c++) {
      if (counts[c] < 1) {
        throw new IllegalArgumentException("counts[" + c + "]: expected a count >= 1, got " + counts[c]);
      }
    }
    if (dim < 1 || (long) (spec.classes() - 1) * dim > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("dim: expected an integer in [1, " + (Integer.MAX_VALUE - 8)
          / (spec.classes() - 1) + "] for " + spec.classes() + " classes, got " + dim);
    }
    this.spec = spec;
    this.dim = dim;
    this.tree = new HuffmanTree(counts);
    this.nodeWeights = new float[(spec.classes() - 1) * dim];
    this.nodeBias = new float[spec.classes() - 1];
    this.gradient = new RowGradients(dim);
  }

  /**
   * Class counts of {@code labels} (such as a prefix of a stream), each plus one, so that a class the labels never
   * showed still gets a (deep) leaf: counts a caller may build the tree on. No production code calls it; a
   * {@code large-softmax} model's tree takes Zipf counts by rank instead.
   */
  public static long[] countsOf(int[] labels, int classes) {
    long[] counts = new long[classes];
    Arrays.fill(counts, 1);
    Labels.requireClasses(labels, labels.length, classes);
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }

  /** Null when every node's weight and bias is finite, else which is not and where. */
  public String firstNonFinite() {
    String bad = Finite.firstNonFinite("hierarchical softmax node weight", nodeWeights);
    return bad != null ? bad : Finite.firstNonFinite("hierarchical softmax node bias", nodeBias);
  }

  public HierarchicalSoftmaxSpec spec() {
    return spec;
  }

  /** The number of decisions on class c's path. */
  public int pathLength(int c) {
    return tree.pathLength(c);
  }

  /**
   * One SGD step on a minibatch, updating the inner nodes on its labels' paths; returns the mean loss.
   *
   * @throws ArithmeticException if the step would make a node non-finite ({@link #apply}); the nodes are as they were
   */
  public double trainMinibatch(float[] x, int rows, int[] labels, float learningRate) {
    double loss = lossAndGradient(x, rows, labels, null, null, gradient);
    String overflow = apply(gradient, learningRate);
    if (overflow != null) {
      throw new ArithmeticException("hierarchical softmax step rolled back: " + overflow);
    }
    return loss;
  }

  /**
   * Subtracts {@code learningRate} times {@code gradient} from the inner nodes it touched, unless a node would not be
   * finite.
   *
   * @return null, or which node would not be finite; then every node is as it was
   */
  public String apply(RowGradients gradient, float learningRate) {
    multiplyAdds += (long) gradient.size() * dim;
    String overflow = gradient.applyTo(nodeWeights, nodeBias, learningRate, "hierarchical softmax node");
    if (overflow == null && rows != null) {
      rows.stepping(gradient);
    }
    return overflow;
  }

  /**
   * The mean of {@code −log P(label | x)} over a minibatch, weighted by {@code exampleWeights} (non-negative, one per
   * row, or null for all ones), its gradient with respect to the inner nodes on the labels' paths into
   * {@code gradient} (cleared first) and, unless null, with respect to the inputs into {@code inputGradient}
   * ({@code rows × dim}, overwritten). Weights all zero: loss 0, no gradient.
   */
  public double lossAndGradient(float[] x, int rows, int[] labels, float[] exampleWeights, float[] inputGradient,
      RowGradients gradient) {
    Labels.requireClasses(labels, rows, spec.classes());
    gradient.clear();
    if (inputGradient != null) {
      Arrays.fill(inputGradient, 0, rows * dim, 0f);
    }
    double totalWeight = ExampleWeights.total(exampleWeights, rows);
    double total = 0;
    for (int i = 0; i < rows; i++) {
      double weight = exampleWeights == null ? 1 : exampleWeights[i];
      if (weight == 0) {
        continue;
      }
      int label = labels[i];
      int xOffset = i * dim;
      for (int step = 0; step < tree.pathLength(label); step++) {
        int n = tree.pathNode(label, step);
        double sign = tree.pathBit(label, step) == 0 ? 1 : -1;
        double z = sign * score(x, xOffset, n);
        total -= weight * Vectors.logSigmoid(z);
        // d(−log σ(sign·s))/ds = −sign·(1 − σ(sign·s))
        double g = -sign * (1 - Vectors.sigmoid(z)) * weight / totalWeight;
        gradient.add(n, g, x, xOffset);
        multiplyAdds += 2L * dim;
        if (inputGradient != null) {
          Vectors.axpy(dim, g, nodeWeights, n * dim, inputGradient, xOffset);
          multiplyAdds += dim;
        }
      }
    }
    return totalWeight == 0 ? 0 : total / totalWeight;
  }

  /** {@code log P(c | x)} for the features at {@code x[offset ..]}. */
  public double logProbability(float[] x, int offset, int c) {
    double logP = 0;
    for (int step = 0; step < tree.pathLength(c); step++) {
      double s = score(x, offset, tree.pathNode(c, step));
      logP += Vectors.logSigmoid(tree.pathBit(c, step) == 0 ? s : -s);
    }
    return logP;
  }

  /** {@code P(c | x)}. */
  public double predictProba(float[] x, int offset, int c) {
    return Math.exp(logProbability(x, offset, c));
  }

  /** The {@code k} most probable classes, most probable first, by a best-first search of the tree. */
  public List<Scored> predictTopK(float[] x, int offset, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k: expected an integer >= 1, got " + k);
    }
    // Node ids as the tree numbers them: a class below C, inner node n at C + n.
    int classes = spec.classes();
    PriorityQueue<Scored> frontier = new PriorityQueue<>((a, b) -> Double.compare(b.score(), a.score()));
    frontier.add(new Scored(classes + tree.root(), 0));
    // Sized for the classes there are: k is the caller's, up to Integer.MAX_VALUE.
    List<Scored> top = new ArrayList<>(Math.min(k, classes));
    while (top.size() < k && !frontier.isEmpty()) {
      Scored node = frontier.poll();
      if (node.id() < classes) {
        top.add(new Scored(node.id(), Math.exp(node.score())));
        continue;
      }
      int n = node.id() - classes;
      double s = score(x, offset, n);
      frontier.add(new Scored(tree.child(n, 0), node.score() + Vectors.logSigmoid(s)));
      frontier.add(new Scored(tree.child(n, 1), node.score() + Vectors.logSigmoid(-s)));
    }
    return top;
  }

  /** Multiply-adds spent in training so far: scores, gradients and updates. */
  public long multiplyAdds() {
    return multiplyAdds;
  }

  private double score(float[] x, int offset, int n) {
    return Vectors.dot(nodeWeights, n * dim, x, offset, dim) + nodeBias[n];
  }

  /** Writes the inner nodes that are not all zero ({@link SavedRows}); the tree is the counts', not saved. */
  public void writeTo(DataOutput out) throws IOException {
    SavedRows.write(nodeWeights, nodeBias, dim, out);
  }

  /** How many bytes {@link #writeTo} writes. */
  public long savedSize() {
    return SavedRows.savedSize(nodeWeights, nodeBias, dim);
  }

  /** Reads what {@link #writeTo} wrote into this layer, freshly created with the same spec, dim and counts. */
  public void readFrom(DataInput in) throws IOException {
    SavedRows.read(in, nodeWeights, nodeBias, dim, "hierarchical softmax");
  }

  /** The inner nodes' rows for a holder that keeps them apart; without them, {@link #writeTo} writes no row. */
  public RowsApart rowsApart() {
    if (rows == null) {
      rows = new OutputRows(nodeWeights, nodeBias, dim, out -> out.writeInt(0));
    }
    return rows;
  }

  float[] nodeWeights() {
    return nodeWeights;
  }

  float[] nodeBias() {
    return nodeBias;
  }
}

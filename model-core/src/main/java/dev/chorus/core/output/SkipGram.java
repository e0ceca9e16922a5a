package dev.chorus.core.output;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.io.BinaryState;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.spec.SpecReader;
import dev.chorus.core.tensor.Finite;
import dev.chorus.core.tensor.TouchedRows;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Streaming skip-gram with negative sampling (Mikolov et al., "Distributed Representations of Words and Phrases and
 * their Compositionality", NIPS 2013): each example is a token sequence, and every (centre, context) pair within a
 * window trains the centre's input vector and the context's output vector online, against
 * {@link SkipGramSpec#negatives} noise tokens drawn from the unigram^0.75 of the counts seen so far
 * ({@link UnigramSampler}). As word2vec: the window is dynamic (each centre draws its half-width from
 * 1..{@code window}, so near contexts weigh more), frequent tokens are subsampled with word2vec's keep probability
 * {@code (√(f/(t·T)) + 1)·t·T/f} for a token seen f times among T, input vectors start uniform in
 * {@code ±0.5/dim} and output vectors at zero.
 *
 * <p>The vocabulary is bounded by hashing: a token is the bucket {@code |h| mod buckets} of its hash h, the project's one
 * token hash ({@link FeatureHasher#hash}: MurmurHash3 x86_32 of its UTF-8 bytes, seed 0), see {@link #bucket}; tokens
 * that collide share a vector, and memory is {@code 2 · buckets · dim} floats plus two doubles per bucket, however
 * many distinct tokens the stream brings.
 *
 * <p>Numeric guard: the gradient {@code rate · (label − σ(u·v))} is bounded by the rate, but a rate large for the
 * data (1 and more on a small vocabulary) makes the vectors grow from step to step until a dot product overflows. So
 * each sequence backs up every row before its first change, and a sequence after which a row it changed is not
 * finite is rolled back whole: rows, token counts, noise table, random state and pair count as before it
 * ({@link NonFiniteSequenceException}). The steps themselves are word2vec's with the exact sigmoid; clamping its
 * argument as word2vec's table does ({@code MAX_EXP}) changes no bound, as the sigmoid already lies in [0, 1]. The
 * guard costs a copy and a check of each row a sequence changes, and two bits per bucket, a copy of the noise table
 * when a sequence rebuilds it, and the changed rows' copies. Not thread-safe.
 */
public final class SkipGram {

  /** The layout {@link #writeState} writes; a new layout gets a new version. */
  public static final int FORMAT_VERSION = 1;

  private final SkipGramSpec spec;
  private final int dim;
  private final float[] input;
  private final float[] output;
  private final UnigramSampler noise;
  /** The rows the current sequence changed, each as it was before its first change. */
  private final RowBackup inputBefore;
  private final RowBackup outputBefore;
  private SplitMix64 random;
  private long pairs;

  /** A fresh model; {@code seed} seeds the initial vectors and every draw. */
  public SkipGram(SkipGramSpec spec, long seed) {
    this.spec = spec;
    this.dim = spec.dim();
    this.input = new float[spec.buckets() * dim];
    this.output = new float[spec.buckets() * dim];
    this.noise = new UnigramSampler(spec.buckets());
    this.inputBefore = new RowBackup(spec.buckets(), dim);
    this.outputBefore = new RowBackup(spec.buckets(), dim);
    this.random = SplitMix64.seeded(seed);
    for (int i = 0; i < input.length; i++) {
      input[i] = random.nextSymmetric(0.5f / dim);
    }
  }

  /** Null when every input and output vector is finite, else which is not and where. */
  public String firstNonFinite() {
    String bad = Finite.firstNonFinite("input vector component", input);
    return bad != null ? bad : Finite.firstNonFinite("output vector component", output);
  }

  public SkipGramSpec spec() {
    return spec;
  }

  /** The bucket of {@code token}. */
  public int bucket(String token) {
    return (int) (Math.abs((long) FeatureHasher.hash(token)) % spec.buckets());
  }

  /**
   * Trains on one example's token sequence; returns the (centre, context) pairs it trained.
   *
   * @throws IllegalArgumentException if the sequence is longer than {@link SkipGramSpec#maxTokens}, before anything
   *     is counted or trained, so that the caller can dead-letter the example
   * @throws NonFiniteSequenceException if training on it would make a vector non-finite; the model is unchanged
   */
  public int train(List<String> tokens) {
    if (tokens.size() > spec.maxTokens()) {
      throw new IllegalArgumentException("key 'maxTokens': expected a token sequence of at most " + spec.maxTokens()
          + " tokens, got " + tokens.size());
    }
    long randomBefore = random.state();
    noise.mark();
    inputBefore.clear();
    outputBefore.clear();
    int[] observed = new int[tokens.size()];
    int[] kept = new int[tokens.size()];
    int length = 0;
    for (int t = 0; t < observed.length; t++) {
      int b = bucket(tokens.get(t));
      observed[t] = b;
      noise.observe(b);
      if (random.nextDouble() < keepProbability(b)) {
        kept[length++] = b;
      }
    }
    int trained = 0;
    float[] update = new float[dim];
    for (int i = 0; i < length; i++) {
      int reach = spec.window() - (int) (random.nextDouble() * spec.window());
      for (int j = Math.max(0, i - reach); j <= Math.min(length - 1, i + reach); j++) {
        if (j != i) {
          trainPair(kept[i], kept[j], update);
          trained++;
        }
      }
    }
    String bad = inputBefore.firstNonFinite(input, "input");
    bad = bad != null ? bad : outputBefore.firstNonFinite(output, "output");
    if (bad != null) {
      inputBefore.restore(input);
      outputBefore.restore(output);
      noise.rollBack(observed);
      random = SplitMix64.fromState(randomBefore);
      throw new NonFiniteSequenceException("token sequence of " + tokens.size() + " tokens rolled back after "
          + trained + " pairs: " + bad + "; the model is unchanged");
    }
    pairs += trained;
    return trained;
  }

  /** One SGNS step: the centre's input vector against the context's output vector and the noise's. */
  private void trainPair(int centre, int context, float[] update) {
    Arrays.fill(update, 0f);
    int in = centre * dim;
    double rate = spec.learningRate();
    for (int n = 0; n <= spec.negatives(); n++) {
      int target = n == 0 ? context : noise.sample(random);
      if (n > 0 && target == context) {
        continue;
      }
      int out = target * dim;
      double label = n == 0 ? 1 : 0;
      double g = rate * (label - Vectors.sigmoid(Vectors.dot(input, in, output, out, dim)));
      Vectors.axpy(dim, g, output, out, update, 0);
      outputBefore.keep(output, target);
      Vectors.axpy(dim, g, input, in, output, out);
    }
    inputBefore.keep(input, centre);
    Vectors.axpy(dim, 1, update, 0, input, in);
  }

  /** The rows of one vector set that a sequence changed, each as it was before its first change, to roll back. */
  private static final class RowBackup {
    private final TouchedRows rows;
    private final int dim;
    private float[] before = new float[0];

    RowBackup(int buckets, int dim) {
      this.rows = new TouchedRows(buckets);
      this.dim = dim;
    }

    /** Backs up {@code row} of {@code vectors} unless this sequence has changed it already. */
    void keep(float[] vectors, int row) {
      if (rows.contains(row)) {
        return;
      }
      int at = rows.size() * dim;
      if (before.length < at + dim) {
        before = Arrays.copyOf(before, Math.max(at + dim, 2 * before.length));
      }
      System.arraycopy(vectors, row * dim, before, at, dim);
      rows.add(row);
    }

    /** Null when every changed row of {@code vectors} is finite, else which is not and where. */
    String firstNonFinite(float[] vectors, String which) {
      for (int i = 0; i < rows.size(); i++) {
        int row = rows.row(i);
        for (int k = 0; k < dim; k++) {
          if (!Float.isFinite(vectors[row * dim + k])) {
            return which + " vector component " + vectors[row * dim + k] + " of bucket " + row + ", coordinate " + k;
          }
        }
      }
      return null;
    }

    /** Puts the changed rows of {@code vectors} back as they were. */
    void restore(float[] vectors) {
      for (int i = 0; i < rows.size(); i++) {
        System.arraycopy(before, i * dim, vectors, rows.row(i) * dim, dim);
      }
    }

    void clear() {
      rows.clear();
    }
  }

  /** The probability that an occurrence of {@code token} is kept by subsampling, given the counts so far. */
  public double keepProbability(String token) {
    return keepProbability(bucket(token));
  }

  private double keepProbability(int bucket) {
    double f = noise.count(bucket);
    if (spec.subsample() == 0 || f == 0) {
      return 1;
    }
    double threshold = spec.subsample() * noise.total();
    return Math.min(1, (Math.sqrt(f / threshold) + 1) * threshold / f);
  }

  /** A copy of {@code token}'s input vector: its embedding. */
  public float[] vector(String token) {
    int b = bucket(token);
    return Arrays.copyOfRange(input, b * dim, (b + 1) * dim);
  }

  /** Whether the stream has shown a token of {@code token}'s bucket (its vectors are no longer the random start). */
  public boolean shown(String token) {
    return noise.count(bucket(token)) > 0;
  }

  /** (centre, context) pairs trained so far. */
  public long pairs() {
    return pairs;
  }

  /** A token among candidates and the cosine of its vector with the query's. */
  public record Neighbour(String token, double cosine) {}

  /**
   * The {@code k} buckets (ids in {@link Scored}) whose input vectors are nearest {@code token}'s by cosine, among
   * the buckets the stream has shown, the token's own excluded; a scan over all buckets, O(buckets · dim).
   */
  public List<Scored> nearest(String token, int k) {
    int query = bucket(token);
    TopK top = new TopK(k, spec.buckets());
    for (int b = 0; b < spec.buckets(); b++) {
      if (b != query && noise.count(b) > 0) {
        top.offer(b, cosine(query, b));
      }
    }
    return top.result();
  }

  /**
   * The {@code k} of {@code candidates} nearest {@code token} by cosine, those in the token's own bucket excluded, as
   * are those whose bucket the stream never showed: their vectors are still the random start, so their cosines say
   * nothing.
   */
  public List<Neighbour> nearest(String token, int k, Collection<String> candidates) {
    int query = bucket(token);
    List<String> names = new ArrayList<>(candidates);
    TopK top = new TopK(k, names.size());
    for (int i = 0; i < names.size(); i++) {
      int b = bucket(names.get(i));
      if (b != query && noise.count(b) > 0) {
        top.offer(i, cosine(query, b));
      }
    }
    return top.result().stream().map(s -> new Neighbour(names.get(s.id()), s.score())).toList();
  }

  private double cosine(int a, int b) {
    double norms = Math.sqrt(Vectors.dot(input, a * dim, input, a * dim, dim)
        * Vectors.dot(input, b * dim, input, b * dim, dim));
    return norms == 0 ? 0 : Vectors.dot(input, a * dim, input, b * dim, dim) / norms;
  }

  /**
   * A model of {@code spec}, of this one's {@code buckets} and {@code dim}, with these input and output vectors and
   * token counts (the noise distribution and subsampling follow them), drawing from {@code seed}, its pairs counted
   * from 0: a warm start. Its SGD keeps no other state.
   *
   * @throws IllegalArgumentException if {@code spec}'s buckets or dim differ from this model's
   */
  public SkipGram warmStart(SkipGramSpec spec, long seed) {
    if (spec.buckets() != this.spec.buckets() || spec.dim() != dim) {
      throw new IllegalArgumentException("SkipGram warm start: expected " + this.spec.buckets() + " buckets of dim "
          + dim + ", got " + spec.buckets() + " of dim " + spec.dim());
    }
    SkipGram started = new SkipGram(spec, seed);
    System.arraycopy(input, 0, started.input, 0, input.length);
    System.arraycopy(output, 0, started.output, 0, output.length);
    try {
      started.noise.readState(new BinaryState.Bytes(BinaryState.toBytes(noise::writeState)));
    } catch (IOException e) {
      throw new IllegalStateException("SkipGram warm start: the counts of a model of the same buckets do not read: "
          + e.getMessage(), e);
    }
    return started;
  }

  /** Writes the format version, the spec, the generator, the counts and noise table and both vector sets. */
  public void writeState(DataOutput out) throws IOException {
    out.writeInt(FORMAT_VERSION);
    ObjectNode json = SpecReader.newObject();
    spec.writeJson(json);
    BinaryState.writeString(out, json.toString());
    out.writeLong(random.state());
    out.writeLong(pairs);
    noise.writeState(out);
    BinaryState.writeFloats(out, input);
    BinaryState.writeFloats(out, output);
  }

  /** {@link #writeState}'s bytes: what a model snapshot of a skip-gram task carries. */
  public byte[] toBytes() {
    return BinaryState.toBytes(this::writeState);
  }

  /**
   * A model that continues exactly where the one that wrote {@code in} stopped.
   *
   * @throws IOException for another format version, a spec that does not read, or sizes the bytes cannot hold
   */
  public static SkipGram readState(DataInput in) throws IOException {
    int version = in.readInt();
    if (version != FORMAT_VERSION) {
      throw new IOException("SkipGram state: expected format version " + FORMAT_VERSION + ", got " + version);
    }
    SkipGramSpec spec;
    try {
      spec = SkipGramSpec.fromJson(SpecReader.document(BinaryState.readString(in, "SkipGram spec")));
    } catch (IllegalArgumentException e) {
      throw new IOException("SkipGram spec: " + e.getMessage(), e);
    }
    // Two vector sets of floats and two double arrays per bucket must be in the bytes before they are allocated.
    BinaryState.requireFits(in, 2L * spec.buckets() * (spec.dim() + 2), Float.BYTES, "SkipGram vectors");
    SkipGram model = new SkipGram(spec, 0);
    model.random = SplitMix64.fromState(in.readLong());
    model.pairs = in.readLong();
    model.noise.readState(in);
    BinaryState.readFloats(in, model.input, "SkipGram input vectors");
    BinaryState.readFloats(in, model.output, "SkipGram output vectors");
    return model;
  }
}

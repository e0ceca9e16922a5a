package dev.chorus.core.annotators;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.NonFiniteUpdateException;
import dev.chorus.core.tensor.Finite;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * Estimated confusion matrices of up to {@code maxAnnotators} annotators and a running class prior, in plain
 * arrays: {@code confusions[slot·K·K + c·K + j]} is the probability that the annotator in {@code slot} says
 * {@code j} for an item of true class {@code c}. A fresh slot holds the identity-leaning prior
 * ({@code priorDiagonal} on the diagonal, the rest spread evenly), which is also what an unseen annotator
 * gets.
 *
 * <p>{@link #mStep} moves each row towards the observed label by a step that decays with the posterior mass
 * the row has received, {@code q_c / (mass_c + priorCount)}, never below {@code minStep · q_c}: a running
 * average with {@code priorCount} pseudo-observations of the prior that keeps adapting slowly.
 *
 * <p>For annotators who change, {@link #forgetWithHalfLife} makes the estimates forget: before each of an
 * annotator's M-steps its row masses shrink by {@code 2^(-1/halfLife)}, so that what a label taught the confusion
 * weighs half after {@code halfLife} more labels of that annotator, an exponentially weighted average. The half-life
 * is the spec's ({@code LabelModelSpec#halfLifeLabels}), which a saved model carries, not part of this state.
 *
 * <p>Each slot also counts, up to {@link #SHAPING_LABELS}, the labels its annotator gave to items that others had
 * labelled too ({@link #countShared}): evidence that pins a full confusion. An annotator with fewer, seen mostly alone,
 * gets {@link #loneMStep}, which keeps its confusion one-coin. The counts are saved apart ({@link #writeSharedLabels}),
 * by the models that use them, since label-model format 5.
 */
public final class ConfusionEstimates {

  /** Default diagonal of the prior confusion of an unseen annotator. */
  public static final double DEFAULT_PRIOR_DIAGONAL = 0.7;
  /** Default pseudo-observations of the prior per row. */
  public static final double DEFAULT_PRIOR_COUNT = 2;
  /** Prior diagonal of a label-only task's confusions ({@link #labelOnly}), chosen on the label-only track's seeds 0–1. */
  public static final double LABEL_ONLY_PRIOR_DIAGONAL = 0.5;
  /** Pseudo-observations of the prior per row in a label-only task. */
  public static final double LABEL_ONLY_PRIOR_COUNT = 10;
  /** Default floor of the decaying step, so that estimates keep tracking a drifting annotator. */
  public static final double DEFAULT_MIN_STEP = 1e-3;
  /**
   * Labels on items that others labelled too after which an annotator's confusion is fully shaped: its lone labels
   * then take the full {@link #mStep}. The count stops here, so that what a saved model holds is also what any longer
   * history would give once the annotator is shaped.
   */
  public static final double SHAPING_LABELS = 10;

  private final int k;
  private final int maxAnnotators;
  private final double priorDiagonal;
  private final double priorCount;
  private final double minStep;
  /** Factor on an annotator's row masses before each of its M-steps; 1 never forgets. */
  private double retention = 1;
  private double halfLifeLabels;
  private final double[] confusions;
  /** Posterior mass per annotator and true class: {@code rowMass[slot·K + c]}. */
  private final double[] rowMass;
  /** Per slot, labels on items that others labelled too, up to {@link #SHAPING_LABELS}. */
  private final double[] sharedLabels;
  /** Sum of the reference distributions seen, per class; the class prior is its normalisation. */
  private final double[] classMass;
  /** A credit's negation, in {@link #withdraw}. */
  private final float[] withdrawn;
  /**
   * Undo since the last {@link #mark}: the class mass then, and the matrix and row masses of each slot before its
   * first M-step since.
   */
  private final double[] markedClassMass;
  private final boolean[] saved;
  private boolean marked;
  private int[] savedSlots = new int[0];
  private double[] savedBlocks = new double[0];
  private int savedCount;

  public ConfusionEstimates(int numClasses, int maxAnnotators) {
    this(numClasses, maxAnnotators, DEFAULT_PRIOR_DIAGONAL, DEFAULT_PRIOR_COUNT, DEFAULT_MIN_STEP);
  }

  /**
   * Estimates for a label-only task ({@code inputDim} 0), with a stronger prior: {@link #LABEL_ONLY_PRIOR_COUNT}
   * pseudo-observations per row at diagonal {@link #LABEL_ONLY_PRIOR_DIAGONAL}. The running average with
   * {@code priorCount} pseudo-observations of the prior row is the posterior mean of a Dirichlet prior on each row
   * with parameters {@code priorCount · prior row} (the Bayesian Dawid–Skene of Kim and Ghahramani, "Bayesian
   * classifier combination", AISTATS 2012; Paun et al., TACL 2018, for its use on crowds). Without features, nothing
   * else pins an annotator's confusion, and a crowd gives each annotator few labels: with 20–50 labels for K × K
   * entries the weak default prior lets the confusions overfit, below majority vote (docs/BENCHMARKS.md).
   */
  public static ConfusionEstimates labelOnly(int numClasses, int maxAnnotators) {
    return new ConfusionEstimates(numClasses, maxAnnotators, LABEL_ONLY_PRIOR_DIAGONAL, LABEL_ONLY_PRIOR_COUNT,
        DEFAULT_MIN_STEP);
  }

  /** @throws IllegalArgumentException if an argument is out of range */
  public ConfusionEstimates(int numClasses, int maxAnnotators, double priorDiagonal, double priorCount,
      double minStep) {
    if (numClasses < 2 || maxAnnotators < 1 || !(priorDiagonal > 0 && priorDiagonal < 1) || !(priorCount > 0)
        || !(minStep >= 0 && minStep < 1)) {
      throw new IllegalArgumentException("confusion estimates need numClasses >= 2, maxAnnotators >= 1, "
          + "priorDiagonal in (0, 1), priorCount > 0 and minStep in [0, 1); got " + numClasses + ", " + maxAnnotators
          + ", " + priorDiagonal + ", " + priorCount + ", " + minStep);
    }
    this.k = numClasses;
    this.maxAnnotators = maxAnnotators;
    this.priorDiagonal = priorDiagonal;
    this.priorCount = priorCount;
    this.minStep = minStep;
    this.confusions = new double[maxAnnotators * k * k];
    this.rowMass = new double[maxAnnotators * k];
    this.sharedLabels = new double[maxAnnotators];
    this.classMass = new double[k];
    this.withdrawn = new float[k];
    this.markedClassMass = new double[k];
    this.saved = new boolean[maxAnnotators];
    for (int slot = 0; slot < maxAnnotators; slot++) {
      fillPrior(confusions, slot * k * k, k, priorDiagonal);
    }
  }

  /** Writes the identity-leaning prior into the {@code k × k} block of {@code into} at {@code offset}. */
  static void fillPrior(double[] into, int offset, int k, double diagonal) {
    for (int c = 0; c < k; c++) {
      for (int j = 0; j < k; j++) {
        into[offset + c * k + j] = c == j ? diagonal : (1 - diagonal) / (k - 1);
      }
    }
  }

  /**
   * Makes each annotator's confusion forget with a half-life of {@code labels} of its labels; 0 never forgets.
   *
   * @throws IllegalArgumentException unless {@code labels} is finite and {@code >= 0}
   */
  public ConfusionEstimates forgetWithHalfLife(double labels) {
    if (!(labels >= 0 && labels < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("halfLifeLabels must be finite and >= 0, got " + labels);
    }
    this.halfLifeLabels = labels;
    this.retention = labels == 0 ? 1 : Math.pow(2, -1 / labels);
    return this;
  }

  /** The half-life in labels, 0 when the estimates never forget. */
  public double halfLifeLabels() {
    return halfLifeLabels;
  }

  /** Null when every confusion, row mass, shared count and class mass is finite, else which is not and where. */
  public String firstNonFinite() {
    String bad = Finite.firstNonFinite("annotator confusions", confusions);
    bad = bad != null ? bad : Finite.firstNonFinite("annotator confusion row masses", rowMass);
    bad = bad != null ? bad : Finite.firstNonFinite("annotators' shared label counts", sharedLabels);
    return bad != null ? bad : Finite.firstNonFinite("class masses", classMass);
  }

  public int numClasses() {
    return k;
  }

  public int maxAnnotators() {
    return maxAnnotators;
  }

  /** Pseudo-observations of the prior confusion per row. */
  public double priorCount() {
    return priorCount;
  }

  /** The flat array of all confusions, {@code maxAnnotators × K × K}; reads and writes go to this object. */
  public double[] confusions() {
    return confusions;
  }

  /** Offset of {@code slot}'s matrix in {@link #confusions()}. */
  public int offset(int slot) {
    return slot * k * k;
  }

  /** Adds {@code reference} (a distribution over the classes) to the running class prior. */
  public void observeClass(float[] reference) {
    requireFinite(reference);
    for (int c = 0; c < k; c++) {
      classMass[c] += reference[c];
    }
  }

  /**
   * Takes back from the running class prior a reference distribution that {@link #observeClass} added: a label that its
   * annotator replaced no longer says anything about its item's class. A class's mass, a sum of what references gave
   * it, stays at or above 0 when {@code reference} is an estimate of what was added, not a record of it.
   */
  public void withdrawClass(float[] reference) {
    requireFinite(reference);
    for (int c = 0; c < k; c++) {
      classMass[c] = Math.max(classMass[c] - reference[c], 0);
    }
  }

  /**
   * Takes back what {@code slot}'s label {@code label} credited, {@code credited} (the posterior its M-step took, with
   * the changes {@link #credit} made since): from the class prior ({@link #withdrawClass}) and from the confusion
   * ({@link #credit} with {@code −credited}). Exactly the inverse of {@link #mStep} and {@link #observeClass} with the
   * same distribution, in whatever order the other credits came, as long as the step floor has not bound and the
   * estimates have not forgotten ({@link #forgetWithHalfLife}) since: each row is the running average of its prior
   * pseudo-observations and its credits. As {@code credited} is an estimate, no row gives back more than all its credits
   * on {@code label} (what the entry holds beyond the prior's pseudo-observations).
   */
  public void withdraw(int slot, int label, float[] credited) {
    withdrawClass(credited);
    for (int c = 0; c < k; c++) {
      double prior = c == label ? priorDiagonal : (1 - priorDiagonal) / (k - 1);
      double given = rowWeight(slot, c) * confusions[offset(slot) + c * k + label] - priorCount * prior;
      withdrawn[c] = (float) -Math.max(Math.min(credited[c], given), 0);
    }
    credit(slot, label, withdrawn);
  }

  /**
   * What row {@code c} of {@code slot}'s confusion averages over: its prior pseudo-observations and its row mass, the
   * credits it has taken.
   */
  public double rowWeight(int slot, int c) {
    return rowMass[slot * k + c] + priorCount;
  }

  /** Sum of the reference distributions observed for class {@code c}, the credits withdrawn taken off. */
  public double classMass(int c) {
    return classMass[c];
  }

  /** The running class prior: the normalised sum of observed reference distributions, uniform before any. */
  public double[] classPrior() {
    double total = 0;
    for (double m : classMass) {
      total += m;
    }
    double[] prior = new double[k];
    for (int c = 0; c < k; c++) {
      prior[c] = total > 0 ? classMass[c] / total : 1.0 / k;
    }
    return prior;
  }

  /**
   * Moves {@code slot}'s confusion towards having said {@code label} for an item whose class posterior is
   * {@code posterior}.
   */
  public void mStep(int slot, int label, float[] posterior) {
    requireFinite(posterior);
    if (marked && !saved[slot]) {
      save(slot);
    }
    if (retention < 1) {
      for (int i = slot * k; i < (slot + 1) * k; i++) {
        rowMass[i] *= retention;
      }
    }
    mStep(confusions, offset(slot), rowMass, slot * k, k, label, posterior, priorCount, minStep);
  }

  /** Counts a label of {@code slot} on an item that others labelled too, up to {@link #SHAPING_LABELS}. */
  public void countShared(int slot) {
    if (sharedLabels[slot] >= SHAPING_LABELS) {
      return;
    }
    if (marked && !saved[slot]) {
      save(slot);
    }
    sharedLabels[slot]++;
  }

  /**
   * How far items with several labels have shaped {@code slot}'s confusion, from 0 (never: every label came alone)
   * to 1 (at least {@link #SHAPING_LABELS} labels on items that others labelled too).
   */
  public double shaped(int slot) {
    return sharedLabels[slot] / SHAPING_LABELS;
  }

  /**
   * The M-step of a label that is its item's only one: {@link #mStep}, after which the confusion moves
   * {@code 1 − shaped} of the way to the one-coin matrix whose diagonal is the row-mass-weighted mean of its
   * diagonal, the rest of each row spread evenly. One label per item cannot tell whose error a disagreement with the
   * classifier is: the full M-step books the classifier's own mix-ups as the annotator's, row by row and pair by pair,
   * and the E-step then lets the classifier overrule labels on exactly those pairs. A one-coin annotator has one
   * accuracy, estimated from all of its labels, and errors that favour no class. The diagonal update is the same
   * either way, so a pooled diagonal is that of the full M-step's rows; as counts of labels shared with others grow
   * ({@link #shaped}) the confusion moves smoothly to the full estimate, from the row masses it already has.
   */
  public void loneMStep(int slot, int label, float[] posterior, double shaped) {
    mStep(slot, label, posterior);
    if (shaped >= 1) {
      return;
    }
    int offset = offset(slot);
    double held = 0;
    double diagonal = 0;
    for (int c = 0; c < k; c++) {
      double weight = rowMass[slot * k + c] + priorCount;
      held += weight;
      diagonal += weight * confusions[offset + c * k + c];
    }
    diagonal /= held;
    for (int c = 0; c < k; c++) {
      for (int j = 0; j < k; j++) {
        double coin = j == c ? diagonal : (1 - diagonal) / (k - 1);
        confusions[offset + c * k + j] = shaped * confusions[offset + c * k + j] + (1 - shaped) * coin;
      }
    }
  }

  /**
   * The M-step for one label: for each true class {@code c}, with {@code q = posterior[c]} and
   * {@code η = max(q / (mass_c + q + priorCount), minStep · q)}, row {@code c} becomes
   * {@code (1 − η)·row + η·onehot(label)} and {@code mass_c} grows by {@code q}. Rows keep summing to 1.
   *
   * @param confusion holds the {@code k × k} matrix at {@code offset}
   * @param mass holds the {@code k} row masses at {@code massOffset}
   */
  /**
   * A class distribution that is not finite (a classifier's forward pass that overflowed) would make a confusion, or
   * the class prior, NaN for good: the update is refused, and the label model's {@code train} rolls back the minibatch.
   */
  private void requireFinite(float[] distribution) {
    for (int c = 0; c < k; c++) {
      if (!Float.isFinite(distribution[c])) {
        throw new NonFiniteUpdateException("annotator confusion update refused: class distribution "
            + Arrays.toString(Arrays.copyOf(distribution, k)) + " is not finite");
      }
    }
  }

  public static void mStep(double[] confusion, int offset, double[] mass, int massOffset, int k, int label,
      float[] posterior, double priorCount, double minStep) {
    for (int c = 0; c < k; c++) {
      double q = posterior[c];
      if (q <= 0) {
        continue;
      }
      mass[massOffset + c] += q;
      double step = Math.max(q / (mass[massOffset + c] + priorCount), minStep * q);
      int row = offset + c * k;
      for (int j = 0; j < k; j++) {
        confusion[row + j] += step * ((j == label ? 1 : 0) - confusion[row + j]);
      }
    }
  }

  /**
   * Changes the credit that {@code slot}'s label {@code label} gave each true class {@code c} by {@code delta[c]}, which
   * may be negative: row {@code c} is the running average of its prior pseudo-observations and its credits
   * ({@link #mStep}, where the step floor binds only past a thousand labels), and becomes that average with
   * {@code delta[c]} more on {@code label}; its row mass moves by as much. A credit is never taken below what the
   * entry holds, so every entry stays in {@code [0, 1]} and rows keep summing to 1.
   */
  public void credit(int slot, int label, float[] delta) {
    if (marked && !saved[slot]) {
      save(slot);
    }
    for (int c = 0; c < k; c++) {
      int row = offset(slot) + c * k;
      double held = rowMass[slot * k + c] + priorCount;
      double change = Math.max(delta[c], -held * confusions[row + label]);
      if (change == 0 || held + change <= 0) {
        continue;
      }
      rowMass[slot * k + c] += change;
      double step = change / (held + change);
      for (int j = 0; j < k; j++) {
        confusions[row + j] += step * ((j == label ? 1 : 0) - confusions[row + j]);
      }
      // A credit that takes all the entry holds leaves it 0, which rounding may take a hair below.
      confusions[row + label] = Math.max(confusions[row + label], 0);
    }
  }

  /**
   * A one-coin step for a label that is its item's only one: if row {@code label} of {@code slot} has taken no
   * {@link #mStep} (it holds the prior, or what earlier calls made of it), its diagonal moves by {@code step} towards
   * {@code right}, the probability that the label is the true class, and the rest of the row is spread evenly; a
   * fixed step makes the diagonal an exponential average of {@code right} over the row's lone labels. A row that an
   * M-step has shaped is left alone.
   */
  public void loneLabelStep(int slot, int label, double right, double step) {
    if (rowMass[slot * k + label] > 0) {
      return;
    }
    if (marked && !saved[slot]) {
      save(slot);
    }
    int row = offset(slot) + label * k;
    double diagonal = (1 - step) * confusions[row + label] + step * right;
    for (int j = 0; j < k; j++) {
      confusions[row + j] = j == label ? diagonal : (1 - diagonal) / (k - 1);
    }
  }

  /**
   * Returns {@code slot}'s confusion to the prior and its row masses to 0, as for an annotator not seen yet: its
   * annotator was evicted and the slot goes to a new one. The class prior keeps what the labels taught it.
   */
  public void reset(int slot) {
    if (marked && !saved[slot]) {
      save(slot);
    }
    fillPrior(confusions, offset(slot), k, priorDiagonal);
    Arrays.fill(rowMass, slot * k, (slot + 1) * k, 0);
    sharedLabels[slot] = 0;
  }

  /** Remembers the estimates as they are, so that {@link #rollback} can return to them; costs O(K) here. */
  public void mark() {
    forgetSaved();
    marked = true;
    System.arraycopy(classMass, 0, markedClassMass, 0, k);
  }

  /** Returns every confusion, row mass and the class prior to what they were at the last {@link #mark}. */
  public void rollback() {
    int block = k * k + k + 1;
    for (int i = 0; i < savedCount; i++) {
      int slot = savedSlots[i];
      System.arraycopy(savedBlocks, i * block, confusions, offset(slot), k * k);
      System.arraycopy(savedBlocks, i * block + k * k, rowMass, slot * k, k);
      sharedLabels[slot] = savedBlocks[(i + 1) * block - 1];
    }
    forgetSaved();
    System.arraycopy(markedClassMass, 0, classMass, 0, k);
  }

  private void forgetSaved() {
    for (int i = 0; i < savedCount; i++) {
      saved[savedSlots[i]] = false;
    }
    savedCount = 0;
  }

  private void save(int slot) {
    int block = k * k + k + 1;
    if (savedSlots.length == savedCount) {
      savedSlots = Arrays.copyOf(savedSlots, Math.max(4, 2 * savedCount));
      savedBlocks = Arrays.copyOf(savedBlocks, savedSlots.length * block);
    }
    System.arraycopy(confusions, offset(slot), savedBlocks, savedCount * block, k * k);
    System.arraycopy(rowMass, slot * k, savedBlocks, savedCount * block + k * k, k);
    savedBlocks[(savedCount + 1) * block - 1] = sharedLabels[slot];
    savedSlots[savedCount++] = slot;
    saved[slot] = true;
  }

  /** {@code slot}'s confusion as a fresh {@code K × K} array. */
  public double[][] matrix(int slot) {
    double[][] m = new double[k][k];
    for (int c = 0; c < k; c++) {
      System.arraycopy(confusions, offset(slot) + c * k, m[c], 0, k);
    }
    return m;
  }

  /** The prior confusion an unseen annotator gets. */
  public double[][] priorMatrix() {
    double[] flat = new double[k * k];
    fillPrior(flat, 0, k, priorDiagonal);
    double[][] m = new double[k][k];
    for (int c = 0; c < k; c++) {
      System.arraycopy(flat, c * k, m[c], 0, k);
    }
    return m;
  }

  /** {@code Σ_c prior_c · confusion[c][c]}: the probability that the annotator is right on a typical item. */
  public static double reliability(double[][] confusion, double[] classPrior) {
    double sum = 0;
    for (int c = 0; c < classPrior.length; c++) {
      sum += classPrior[c] * confusion[c][c];
    }
    return sum;
  }

  public ConfusionEstimates copy() {
    ConfusionEstimates copy = new ConfusionEstimates(k, maxAnnotators, priorDiagonal, priorCount, minStep)
        .forgetWithHalfLife(halfLifeLabels);
    System.arraycopy(confusions, 0, copy.confusions, 0, confusions.length);
    System.arraycopy(rowMass, 0, copy.rowMass, 0, rowMass.length);
    System.arraycopy(sharedLabels, 0, copy.sharedLabels, 0, maxAnnotators);
    System.arraycopy(classMass, 0, copy.classMass, 0, k);
    return copy;
  }

  public void writeTo(DataOutput out) throws IOException {
    out.writeInt(k);
    out.writeInt(maxAnnotators);
    out.writeDouble(priorDiagonal);
    out.writeDouble(priorCount);
    out.writeDouble(minStep);
    BinaryState.writeDoubles(out, confusions);
    BinaryState.writeDoubles(out, rowMass);
    BinaryState.writeDoubles(out, classMass);
  }

  /** Writes the shared label counts ({@link #countShared}), which a model that uses them saves after {@link #writeTo}. */
  public void writeSharedLabels(DataOutput out) throws IOException {
    BinaryState.writeDoubles(out, sharedLabels);
  }

  /**
   * Reads what {@link #writeSharedLabels} wrote in label-model format {@code version}. Before format 5 no counts were
   * saved: a slot whose confusion has taken an M-step reads as fully shaped, so it keeps learning as it did, and one
   * that has not as a new annotator.
   */
  public void readSharedLabels(DataInput in, int version) throws IOException {
    if (version < 5) {
      for (int slot = 0; slot < maxAnnotators; slot++) {
        for (int c = 0; c < k; c++) {
          if (rowMass[slot * k + c] > 0) {
            sharedLabels[slot] = SHAPING_LABELS;
          }
        }
      }
      return;
    }
    BinaryState.readDoubles(in, sharedLabels, "shared label counts");
    for (double count : sharedLabels) {
      if (!(count >= 0 && count <= SHAPING_LABELS)) {
        throw new IOException("confusion estimates: expected shared label counts in [0, " + SHAPING_LABELS
            + "], stream has " + count);
      }
    }
  }

  public static ConfusionEstimates readFrom(DataInput in) throws IOException {
    int k = in.readInt();
    int max = in.readInt();
    double diagonal = in.readDouble();
    double count = in.readDouble();
    double minStep = in.readDouble();
    // The confusions, row masses and class masses follow in full: check their size before allocating them.
    long values = (long) max * k * k + (long) max * k + k;
    if (k >= 0 && max >= 0) {
      BinaryState.requireFits(in, values, Double.BYTES,
          "confusion estimates numClasses " + k + ", maxAnnotators " + max + " values");
    }
    ConfusionEstimates estimates;
    try {
      estimates = new ConfusionEstimates(k, max, diagonal, count, minStep);
    } catch (IllegalArgumentException e) {
      throw new IOException("confusion estimates: " + e.getMessage(), e);
    }
    BinaryState.readDoubles(in, estimates.confusions, "confusions");
    BinaryState.readDoubles(in, estimates.rowMass, "confusion row masses");
    BinaryState.readDoubles(in, estimates.classMass, "class mass");
    return estimates;
  }
}

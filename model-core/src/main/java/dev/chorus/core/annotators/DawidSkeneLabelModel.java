package dev.chorus.core.annotators;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.TrainedModel;
import dev.chorus.core.optim.AveragingSpec;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * {@code dawid-skene}: online expectation–maximisation of Dawid and Skene's model (1979) with the classifier
 * as the prior over the true class. For each label event, {@link #eStep} computes the posterior over the
 * item's true class from the classifier's predicted probabilities times the current confusions of the
 * annotators who labelled the item (the new label included); {@link ConfusionEstimates#mStep} then updates
 * the new label's annotator's confusion from that posterior (a stepwise M-step with a decaying step); and the
 * classifier trains on the posterior.
 *
 * <p>Until the classifier has trained on {@link #WARMUP_EXAMPLES} examples, the E-step uses a uniform prior
 * instead of its predictions: a freshly initialised classifier is confidently wrong at random, and letting it
 * steer the first posteriors rotates the confusions into a permutation of the classes (label switching). A
 * label-only task ({@code inputDim} 0) has no classifier to ask: its prior is the running class distribution.
 *
 * <p>The M-step of a label that is its item's only one so far ({@link #reference}) goes, once the classifier is warm,
 * against the mean of the posterior and the classifier's prediction, not against the posterior alone: that posterior
 * already holds the label through the annotator's own confusion, so crediting the label to it confirms whatever
 * diagonal the confusion has (with one label per item every diagonal is a fixed point), and the confusion never
 * learns how noisy its annotator is. Under heavy noise (one annotator, right 20% of the time) it stayed near its 0.7
 * prior, the posterior over-trusted each label, and the classifier trained on it fell below one trained on the raw
 * labels (issue 18). The prediction, from a classifier that has not trained on this item in this pass, is evidence
 * independent of the label (the item's leave-one-out posterior); with half of the reference from it the only fixed
 * point is the confusion it supports, while an expert's confusion, pinned by the items it shares with others, is
 * blurred only half as much by the classifier's own errors as with the prediction alone. An item with more labels
 * keeps the full posterior, whose other labels are independent evidence already.
 *
 * <p>That half of the reference still books the classifier's own errors as the annotator's, row by row and pair by
 * pair: with one clean annotator its estimated diagonal ended at .75–.99 class by class, its off-diagonal entries were
 * the classifier's mix-ups, and the posterior let the classifier overrule correct labels on exactly those pairs, 0.3
 * points under naive on MLP-256 (docs/BENCHMARKS.md, session 11). So a lone label of an annotator that items with
 * several labels have not shaped ({@link ConfusionEstimates#shaped}) takes {@link ConfusionEstimates#loneMStep}: its
 * confusion stays one-coin, one accuracy from all of its labels and errors that favour no class. An annotator shaped
 * by items it shares with others (a crowd's experts and pair-confusers) keeps the full M-step, whose off-diagonal
 * entries those items pin.
 *
 * <p>The E-step's prior, and the prediction in a lone label's reference, come from an exponential average of the
 * classifier's weights ({@link #TEACHER}, decay 0.9; the spec's own {@code averaging} when it has one), a "mean
 * teacher" (Tarvainen and Valpola, 2017), while the classifier trains and predicts with its live weights. The last
 * iterate carries the noise of the labels it just trained on; its average less so, so the posterior it gives is a
 * cleaner target, and the classifier trained on those targets is itself less noisy. On Fashion-MNIST with one label per
 * item (MLP-256) it lifted Dawid–Skene from about 3 to about 1 point under clean at p = 0.5 and kept it above naive at
 * p = 0 (docs/BENCHMARKS.md, session 16). Session 13's collapse with an averaged prior was a read-out without the live
 * standardiser.
 *
 * <p>In a label-only task a new label also re-credits the item's earlier labels ({@link #revise}): each of their
 * annotators' confusions takes the change the new label makes to the item's posterior
 * ({@link ConfusionEstimates#credit}), and so does the class prior. Batch EM credits every label with its item's
 * posterior given all of the item's labels; crediting a label only with the posterior of when it came, often given
 * that label alone, left the confusions short of batch EM's and the consensus 2.5 points below MAP-EM with the same
 * prior on the label-only track (docs/BENCHMARKS.md). The changes telescope: with confusions and class prior that
 * stood still, each earlier label's credit would be its item's latest posterior, the incremental EM of Neal and
 * Hinton ("A view of the EM algorithm that justifies incremental, sparse, and other variants", 1998), without keeping
 * each label's past credit.
 */
public final class DawidSkeneLabelModel extends ClassifierLabelModel {

  public static final String NAME = "dawid-skene";
  /** Smallest prior probability and confusion entry the E-step uses, so one confident zero cannot veto a class. */
  public static final double FLOOR = 1e-6;
  /** Examples the classifier trains on before its predictions become the E-step's prior. */
  public static final long WARMUP_EXAMPLES = 2000;
  /**
   * The average of the classifier's weights that the E-step reads, unless the spec's {@code averaging} keeps one:
   * decay 0.9, about the last ten steps. Chosen on the benchmark's validation items among 0.8, 0.9, 0.95 and 0.99
   * (docs/BENCHMARKS.md, session 16): 0.99 lagged so far that a softmax classifier at 80% corruption, whose labels
   * move the posterior little, trained towards its stale average and lost 6 points; 0.8 and 0.9 are within 0.1 point
   * of each other, 0.9 the better at p = 0.5 and on the main track.
   */
  public static final AveragingSpec TEACHER = new AveragingSpec(0.9);

  private final float[] uniform;
  private final float[] runningPrior;
  private final float[] mixed;
  /** The change a label makes to its item's posterior, in {@link #revise}. */
  private final float[] change;

  public DawidSkeneLabelModel(ModelSpec spec, LabelModelSpec config) {
    this(freshParts(spec, config));
  }

  DawidSkeneLabelModel(Parts parts) {
    super(parts);
    if (inputDim() != 0) {
      learner.keepTeacher(TEACHER);
    }
    this.uniform = new float[numClasses()];
    Arrays.fill(uniform, 1f / numClasses());
    this.runningPrior = new float[numClasses()];
    this.mixed = new float[numClasses()];
    this.change = new float[numClasses()];
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The classifier's average: {@link OnlineLearner#teacherModel()}. */
  @Override
  protected TrainedModel viewModel() {
    return learner.teacherModel();
  }

  @Override
  protected void writeAfterClassifier(DataOutput out) throws IOException {
    learner.writeTeacher(out);
  }

  /** Before format 6 no teacher was saved: it starts at the classifier's weights, as {@link #TEACHER} kept it. */
  @Override
  protected void readAfterClassifier(DataInput in, int version) throws IOException {
    if (version >= 6) {
      learner.readTeacher(in);
    }
  }

  @Override
  protected void target(float[] predicted, int label, int count, int[] slots, int[] labels, float[] target) {
    eStep(prior(predicted), estimates.confusions(), numClasses(), slots, labels, count, target);
  }

  /** The E-step's prior: the running class distribution in a label-only task, else the prediction once warm. */
  private float[] prior(float[] predicted) {
    if (inputDim() == 0) {
      // A label-only task: the classifier sees no features, so the prior is the running class distribution.
      double[] classes = estimates.classPrior();
      for (int c = 0; c < classes.length; c++) {
        runningPrior[c] = (float) classes[c];
      }
      return runningPrior;
    }
    return learner.examplesSeen() >= WARMUP_EXAMPLES ? predicted : uniform;
  }

  /**
   * The posterior that the replaced label would leave once taken back ({@link #creditedPosterior}: its own credit no
   * longer sharpens it), as the reference ({@link #reference}) it was credited with. In a label-only task
   * {@link #revise} kept every label's credit at its item's latest posterior, given all of the item's labels, and the
   * prior, the class distribution, loses that posterior too; else a label's credit is its posterior of when it came,
   * given the labels that came before it, which the history holds before it.
   */
  @Override
  protected void credited(float[] predicted, int count, int[] slots, int[] labels, int at, float[] credit) {
    int then = inputDim() == 0 ? count : at + 1;
    creditedPosterior(inputDim() == 0 ? null : prior(predicted), estimates, slots, labels, then, at, credit);
    float[] reference = reference(predicted, credit, then);
    if (reference != credit) {
      System.arraycopy(reference, 0, credit, 0, credit.length);
    }
  }

  /**
   * A label-only task's re-credit of the item's earlier labels: the change from the posterior without the new label
   * to {@code target}, both with the class prior {@link #target} used (the earlier labels' annotators are not the new
   * label's, so its M-step left their confusions as {@link #target} saw them). After a relabel the earlier labels were
   * last credited with the posterior that still held the replaced label: the change is from that one,
   * {@code replaced}.
   */
  @Override
  protected void revise(float[] target, float[] replaced, int count, int[] slots, int[] labels) {
    if (inputDim() != 0 || count < 2) {
      return;
    }
    int k = numClasses();
    if (replaced != null) {
      System.arraycopy(replaced, 0, change, 0, k);
    } else {
      eStep(runningPrior, estimates.confusions(), k, slots, labels, count - 1, change);
    }
    for (int c = 0; c < k; c++) {
      change[c] = target[c] - change[c];
    }
    for (int i = 0; i < count - 1; i++) {
      estimates.credit(slots[i], labels[i], change);
    }
    for (int c = 0; c < k; c++) {
      change[c] *= count - 1;
    }
    estimates.observeClass(change);
  }

  @Override
  protected void confusionStep(int slot, int label, float[] reference, int count) {
    if (count > 1) {
      estimates.countShared(slot);
    }
    if (count > 1 || inputDim() == 0 || learner.examplesSeen() < WARMUP_EXAMPLES) {
      estimates.mStep(slot, label, reference);
    } else {
      estimates.loneMStep(slot, label, reference, estimates.shaped(slot));
    }
  }

  @Override
  protected float[] reference(float[] predicted, float[] target, int count) {
    if (count > 1 || inputDim() == 0 || learner.examplesSeen() < WARMUP_EXAMPLES) {
      return target;
    }
    for (int c = 0; c < mixed.length; c++) {
      mixed[c] = 0.5f * (predicted[c] + target[c]);
    }
    return mixed;
  }

  /**
   * The E-step: {@code posterior[c] ∝ prior[c] · Π_i confusion[slots[i]][c][labels[i]]} over
   * {@code i < count}, computed in log space, each factor floored at {@link #FLOOR}.
   *
   * @param prior the classifier's class probabilities, length {@code k}
   * @param confusions flat {@code slots × k × k} confusion matrices, as {@link ConfusionEstimates#confusions()}
   * @param posterior receives the normalised posterior, length {@code k}
   */
  public static void eStep(float[] prior, double[] confusions, int k, int[] slots, int[] labels, int count,
      float[] posterior) {
    double[] log = new double[k];
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < k; c++) {
      double sum = Math.log(Math.max(prior[c], FLOOR));
      for (int i = 0; i < count; i++) {
        sum += Math.log(Math.max(confusions[slots[i] * k * k + c * k + labels[i]], FLOOR));
      }
      log[c] = sum;
      max = Math.max(max, sum);
    }
    double total = 0;
    for (int c = 0; c < k; c++) {
      log[c] = Math.exp(log[c] - max);
      total += log[c];
    }
    for (int c = 0; c < k; c++) {
      posterior[c] = (float) (log[c] / total);
    }
  }

  /**
   * What label {@code at} of an item ({@code slots[at]}'s label {@code labels[at]}, among the item's {@code count}
   * labels) has credited its annotator's confusion and the class prior, estimated without a record of it: the
   * posterior {@code P} that the item's labels get once {@code P} is taken back ({@link ConfusionEstimates#withdraw}),
   * {@code P = eStep(prior, confusions less P)}. With the estimates as the label's credit left them this is exactly
   * what it was credited; the current posterior instead also holds the label's own credit, which sharpened its
   * annotator's confusion and, in a young label-only model, the class prior towards it.
   *
   * <p>{@code P_c} moves only row {@code c}, so for a normaliser {@code Z} each {@code P_c} solves
   * {@code P_c·Z = prior_c(P_c) · Π_{i ≠ at} C_i[c][labels[i]] · C_at[c][labels[at]](P_c)}, whose right side falls as
   * {@code P_c} grows; {@code Σ_c P_c} falls as {@code Z} grows, and {@code Z} is found by bisection. Factors are floored
   * at {@link #FLOOR} as in {@link #eStep}.
   *
   * @param prior the E-step's prior, or {@code null} for a label-only task's running class distribution, which then
   *     loses {@code P} too (uniform when nothing else is left in it)
   * @param posterior receives {@code P}, length {@code k}
   */
  public static void creditedPosterior(float[] prior, ConfusionEstimates estimates, int[] slots, int[] labels,
      int count, int at, float[] posterior) {
    int k = estimates.numClasses();
    double[] confusions = estimates.confusions();
    double[] others = new double[k];
    double[] weight = new double[k];
    double[] entry = new double[k];
    double[] mass = new double[k];
    double left = -1;
    for (int c = 0; c < k; c++) {
      double likelihood = 1;
      for (int i = 0; i < count; i++) {
        if (i != at) {
          likelihood *= Math.max(confusions[slots[i] * k * k + c * k + labels[i]], FLOOR);
        }
      }
      others[c] = likelihood;
      weight[c] = estimates.rowWeight(slots[at], c);
      entry[c] = confusions[slots[at] * k * k + c * k + labels[at]];
      mass[c] = estimates.classMass(c);
      left += mass[c];
    }
    double low = Double.MAX_VALUE;
    double high = 0;
    for (int c = 0; c < k; c++) {
      low = Math.min(low, withdrawnFactor(prior, others, weight, entry, mass, left, c, 1));
      high += withdrawnFactor(prior, others, weight, entry, mass, left, c, 0);
    }
    // Σ_c P_c(Z) ≥ 1 at Z = min_c f_c(1) (that class's P_c is 1) and ≤ 1 at Z = Σ_c f_c(0); bisect between, in log.
    double[] p = new double[k];
    for (int iteration = 0; iteration < 100; iteration++) {
      double z = Math.sqrt(low * high);
      double sum = 0;
      for (int c = 0; c < k; c++) {
        p[c] = solveClass(prior, others, weight, entry, mass, left, c, z);
        sum += p[c];
      }
      if (sum > 1) {
        low = z;
      } else {
        high = z;
      }
    }
    double total = 0;
    for (int c = 0; c < k; c++) {
      p[c] = solveClass(prior, others, weight, entry, mass, left, c, high);
      total += p[c];
    }
    for (int c = 0; c < k; c++) {
      posterior[c] = (float) (p[c] / total);
    }
  }

  /** The {@code p} in {@code [0, 1]} with {@code p·z} = {@link #withdrawnFactor}{@code (p)}, or 1 if none. */
  private static double solveClass(float[] prior, double[] others, double[] weight, double[] entry, double[] mass,
      double left, int c, double z) {
    if (withdrawnFactor(prior, others, weight, entry, mass, left, c, 1) >= z) {
      return 1;
    }
    double low = 0;
    double high = 1;
    for (int iteration = 0; iteration < 60; iteration++) {
      double p = 0.5 * (low + high);
      if (p * z < withdrawnFactor(prior, others, weight, entry, mass, left, c, p)) {
        low = p;
      } else {
        high = p;
      }
    }
    return 0.5 * (low + high);
  }

  /**
   * Class {@code c}'s unnormalised posterior once {@code p} is taken back from the label's confusion row {@code c}
   * (a running average over {@code weight[c]}, {@code entry[c]} on the label) and, without a prior, from the class
   * mass ({@code left} is what the class mass holds besides the label's credit).
   */
  private static double withdrawnFactor(float[] prior, double[] others, double[] weight, double[] entry,
      double[] mass, double left, int c, double p) {
    // The class mass holds one distribution per label credited: less than half a label left is rounding, none left.
    double classPrior = prior != null ? prior[c] : left > 0.5 ? (mass[c] - p) / left : 1.0 / mass.length;
    double rest = weight[c] - p;
    double withdrawn = rest > 0 ? (weight[c] * entry[c] - p) / rest : 0;
    return Math.max(classPrior, FLOOR) * others[c] * Math.max(withdrawn, FLOOR);
  }

  @Override
  public DawidSkeneLabelModel copy() {
    return new DawidSkeneLabelModel(copyParts());
  }
}

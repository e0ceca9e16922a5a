package dev.chorus.jobs.select;

import dev.chorus.core.metrics.ClassificationMetrics;
import dev.chorus.core.select.ClassifierLoss;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.jobs.train.Variants;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;

/**
 * The prequential loss the selection scores a labelled prediction by, the one its race, its searches' rungs and (as
 * the 0/1 loss {@code correct}) its drift detectors take:
 *
 * <ul>
 *   <li>a classifier's: the log loss of the true class, clipped as the prequential metrics clip it
 *       ({@link ClassificationMetrics#exampleLogLoss}); correct when its predicted class is the label;
 *   <li>a large-output classifier's ({@code large-softmax}), whose prediction carries only its top k classes
 *       ({@code topClasses}, {@code topProbabilities}): the same log loss when the label is among them, else the
 *       mass they leave spread evenly over the {@code numClasses − k} classes outside them
 *       ({@link ClassificationMetrics#exampleTopKLogLoss}, which says why), {@code numClasses} from the variant's spec
 *       (the control topic's, else {@code --spec}'s for variant default);
 *   <li>a regressor's: the squared error, at most {@link #WORST_SQUARED_ERROR};
 *   <li>a prediction that is not finite ({@link ExampleTensors#nonFiniteReason}: a diverged model's, which the train
 *       job keeps off the predictions topic but gives the selection): the worst, {@link #WORST_LOG_LOSS} and not
 *       correct, or {@link #WORST_SQUARED_ERROR}. A diverged variant so loses each example it predicts, and its
 *       predictions complete the race's pairs and the rungs' examples as any variant's do.
 * </ul>
 *
 * <p>A classifier's loss is model-core's {@link ClassifierLoss}, which {@code chorus bench select}'s
 * {@link dev.chorus.core.select.VariantRace} scores by too.
 *
 * <p>Null when a prediction cannot be scored: a label outside its probabilities (outside {@code [0, numClasses)} for
 * a large-output one), a large-output variant whose spec the selection does not know (its control record has not
 * reached the broadcast yet), top classes without a probability each, or a regressor's prediction without a value.
 * Not thread-safe: one per operator instance.
 */
final class SelectionLosses {

    /** The clipped log loss of probability 0: a classifier's worst. */
    static final double WORST_LOG_LOSS = ClassificationMetrics.WORST_LOG_LOSS;
    /**
     * A regressor's worst loss: the largest squared error a finite float32 prediction can make of a target the train
     * job admits ({@link ExampleValidator#MAX_MAGNITUDE}), about 1.16e77. A bound, so that the paired test's sums of
     * squared differences stay finite (a pair adds at most its square, about 1.3e154).
     */
    static final double WORST_SQUARED_ERROR = square((double) Float.MAX_VALUE + ExampleValidator.MAX_MAGNITUDE);
    /** Large-output variants whose {@code numClasses} is remembered (least recently scored forgotten first). */
    static final int MAX_REMEMBERED_SPECS = 1024;

    /** A prediction's loss, and whether it was correct (null for a regressor). */
    record Loss(double value, Boolean correct) {}

    /** The spec JSON a variant's {@code numClasses} was read from (null: {@code --spec}'s), and the count (0: none). */
    private record Classes(String json, int numClasses) {}

    private final TaskSpecs defaults;
    private final Map<String, Classes> classes = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Classes> eldest) {
            return size() > MAX_REMEMBERED_SPECS;
        }
    };

    SelectionLosses(TaskSpecs defaults) {
        this.defaults = defaults;
    }

    /** The loss of labelled prediction {@code p}, or null when it cannot be scored; {@code specs} the broadcast's. */
    Loss of(Prediction p, ReadOnlyBroadcastState<String, String> specs) throws Exception {
        if (p.getLabel() == null) {
            if (p.getPredictedValue() == null) {
                return null;
            }
            boolean finite = ExampleTensors.nonFiniteReason(p) == null;
            double error = p.getPredictedValue() - p.getTarget();
            return new Loss(finite ? Math.min(error * error, WORST_SQUARED_ERROR) : WORST_SQUARED_ERROR, null);
        }
        int label = p.getLabel();
        int predicted = p.getPredictedClass() == null ? -1 : p.getPredictedClass();
        List<Integer> topClasses = p.getTopClasses();
        if (topClasses != null) {
            int numClasses = numClasses(specs, p.getTask(), p.getVariant());
            if (label < 0 || label >= numClasses || topClasses.size() >= numClasses && !topClasses.contains(label)
                    || p.getTopProbabilities() == null || Float32.count(p.getTopProbabilities()) != topClasses.size()) {
                return null;
            }
            return of(ClassifierLoss.ofTopK(topClasses.stream().mapToInt(Integer::intValue).toArray(),
                    Float32.unpack(p.getTopProbabilities()), numClasses, predicted, label));
        }
        float[] probabilities = Float32.unpack(p.getProbabilities());
        if (label < 0 || label >= probabilities.length) {
            return null;
        }
        return of(ClassifierLoss.of(probabilities, 0, probabilities.length, predicted, label));
    }

    private static Loss of(ClassifierLoss loss) {
        return new Loss(loss.logLoss(), loss.correct());
    }

    /** The {@code numClasses} of the variant's spec; 0 when the selection knows no spec of it. */
    private int numClasses(ReadOnlyBroadcastState<String, String> specs, String task, String variant)
            throws Exception {
        String key = Variants.key(task, variant);
        String json = specs.get(key);
        Classes known = classes.get(key);
        if (known == null || !Objects.equals(known.json(), json)) {
            ModelSpec spec = VariantSpecs.specOf(specs, defaults, key, null);
            known = new Classes(json, spec == null ? 0 : spec.numClasses());
            classes.put(key, known);
        }
        return known.numClasses();
    }

    private static double square(double x) {
        return x * x;
    }
}

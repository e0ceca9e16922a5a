package dev.chorus.jobs.train;

import dev.chorus.jobs.LargeOutputPredictions;
import dev.chorus.schemas.Prediction;
import org.apache.flink.util.Collector;

/**
 * The open minibatch of a large-output task ({@link TrainerState#largeOutput}): hashed rows as a hashed task's
 * ({@link HashedRows}), predicted by their top k classes ({@link LargeOutputPredictions}).
 */
final class LargeOutputRows {

    private LargeOutputRows() {}

    /**
     * Predicts the open minibatch's rows not yet predicted and adds them to the prequential accuracy. The log loss
     * is not tracked: a true class outside the top k has no probability in the prediction.
     */
    static void predict(TrainerState s, String task, String variant, long now, Collector<Prediction> out) {
        long version = s.version();
        for (int i = s.batchPredicted; i < s.batchFill; i++) {
            Prediction p = LargeOutputPredictions.prediction(s.batchIds[i], task, s.batchLabels[i],
                    s.batchAnnotators[i], s.batchEventTimes[i], variant, version,
                    s.largeOutput.predictTopK(HashedRows.row(s.sparseRows, i)), now);
            s.prequential.add(p.getPredictedClass() == s.batchLabels[i]);
            out.collect(p);
            s.predictions++;
        }
        s.batchPredicted = s.batchFill;
    }
}

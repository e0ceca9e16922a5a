package dev.chorus.jobs.serve;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.features.RejectedFieldException;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.WideDeepBatch;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.core.saved.SavedModels;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.HashedFields;
import dev.chorus.jobs.LargeOutputPredictions;
import dev.chorus.jobs.WideDeepFields;
import dev.chorus.jobs.train.ModelSizeBound;
import dev.chorus.jobs.train.SpecControl;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.UnicodeText;
import java.util.HashMap;
import java.util.Map;

/**
 * The models one parallel instance of the serve function answers with, parsed from the snapshots in broadcast
 * state, by task/variant: each version parsed once (on arrival, or after a restore at its first example), never
 * per example. A hashed model ({@code SparseLinearModel}, a spec with {@code hashing}) answers examples with named
 * fields, checked as the train job checks them and hashed by the same {@code FeatureHasher}; a wide and deep one
 * ({@code WideDeepModel}) alike, each example taken apart by the snapshot's spec ({@link WideDeepFields}). Not
 * thread-safe; not state: rebuilt from broadcast state.
 */
final class LoadedModels {

    /**
     * A loaded model and its scratch: a dense row, or, for a hashed model, the hasher of its spec, or, for a wide
     * and deep one, a batch of one row.
     */
    private record Loaded(long version, Predictor learner, float[] features, float[] probabilities,
            FeatureHasher hasher, WideDeepBatch wideRow) {}

    /** An example's prediction, or why it has none: the example's dead letter's field and reason. */
    record Answer(Prediction prediction, String field, String reason) {
        static Answer refused(String field, String reason) {
            return new Answer(null, field, reason);
        }

        /** Whether the example has no prediction as the one it got was NaN or infinite. */
        boolean nonFinite() {
            return "prediction".equals(field);
        }
    }

    private final ModelSizeBound sizeBound;
    private final Map<String, Loaded> loaded = new HashMap<>();

    LoadedModels(ModelSizeBound sizeBound) {
        this.sizeBound = sizeBound;
    }

    /**
     * The snapshot's model, each spec its bytes embed held to the job's {@link ModelSizeBound} before anything of it is
     * built: a few KB of hashed rows can declare tables of gigabytes, which the reader allocates whole.
     *
     * @throws RuntimeException whatever a model that does not load throws
     */
    Predictor read(ModelSnapshot snapshot) {
        var buffer = snapshot.getParameters().duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return SavedModels.read(bytes, sizeBound::require);
    }

    /** Answers {@code key} with {@code learner}, version {@code version}, read from its snapshot just now. */
    void put(String key, long version, Predictor learner) {
        loaded.put(key, loaded(version, learner));
    }

    /** Forgets the parsed model of {@code key}: its snapshot changed or went. */
    void remove(String key) {
        loaded.remove(key);
    }

    /** {@code example}'s prediction by the model of {@code key}, whose snapshot in state is {@code snapshot}. */
    Answer predict(String key, ModelSnapshot snapshot, Example example, long now) {
        Loaded model = loaded.get(key);
        if (model == null || model.version() != snapshot.getVersion()) {
            // After a restore: broadcast state holds only snapshots that parsed on arrival, unless an older build
            // stored it; such a model answers nothing, and `chorus models reset` forgets it.
            try {
                model = loaded(snapshot.getVersion(), read(snapshot));
            } catch (RuntimeException e) {
                return Answer.refused("task", "model " + ExampleValidator.quoted(key) + " version "
                        + snapshot.getVersion() + " in state does not load: expected a valid model, got: "
                        + UnicodeText.escaped(String.valueOf(e.getMessage()), SpecControl.QUOTED_SPEC_CHARS));
            }
            loaded.put(key, model);
        }
        ExampleValidator.Rejection rejection = ExampleValidator.againstSpec(example, model.learner().spec());
        if (rejection != null) {
            return Answer.refused(rejection.field(), rejection.reason() + " (model " + ExampleValidator.quoted(key)
                    + " version " + model.version() + ")");
        }
        Prediction prediction;
        if (model.learner().spec().hashing() != null) {
            SparseVector x = null;
            try {
                if (model.hasher() != null) {
                    x = model.hasher().hash(example.getFields());
                } else {
                    model.wideRow().clear();
                    model.wideRow().add(example.getFields());
                }
            } catch (RejectedFieldException e) {
                return Answer.refused("fields", e.getMessage() + " (model " + ExampleValidator.quoted(key)
                        + " version " + model.version() + ")");
            }
            prediction = model.learner() instanceof LargeOutputModel large
                    ? LargeOutputPredictions.predict(large, x, example, snapshot.getVariant(), model.version(), now)
                    : x != null ? HashedFields.predict((SparseLinearModel) model.learner(), x, model.probabilities(),
                    example, snapshot.getVariant(), model.version(), now)
                    : WideDeepFields.predict((WideDeepModel) model.learner(), model.wideRow(), model.probabilities(),
                            example, snapshot.getVariant(), model.version(), now);
        } else {
            ExampleTensors.copyFeatures(example, model.features(), 0, model.learner().inputDim());
            prediction = ExampleTensors.predict(model.learner(), model.features(), 0, model.probabilities(), example,
                    snapshot.getVariant(), model.version(), now);
        }
        String nonFinite = ExampleTensors.nonFiniteReason(prediction);
        return nonFinite != null ? Answer.refused("prediction", nonFinite) : new Answer(prediction, null, null);
    }

    private static Loaded loaded(long version, Predictor learner) {
        boolean named = learner.spec().hashing() != null;
        boolean wideDeep = learner instanceof WideDeepModel;
        // A large-output model's predictions carry its top k, never all its classes' probabilities.
        int outputs = learner instanceof LargeOutputModel ? 0 : learner.outputDim();
        return new Loaded(version, learner, new float[named ? 0 : learner.inputDim()], new float[outputs],
                named && !wideDeep ? new FeatureHasher(learner.spec().hashing()) : null,
                wideDeep ? new WideDeepBatch(learner.spec()) : null);
    }
}

package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.testing.GaussianBlobs;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An {@link OnlineLearner} is split into what trains (itself: optimizer, random generator), what predicts (its
 * {@link TrainedModel}, with provenance) and the byte format ({@link OnlineLearnerCodec}).
 */
class TrainedModelTest {

  private static final GaussianBlobs DATA = GaussianBlobs.generate(64, 5, 3, 8);
  private static final ModelSpec SPEC = ModelSpec.mlp(5, 3, List.of(
      HiddenLayerSpec.of(6, ActivationFunction.RELU).withBatchNorm().withDropout(0.2))).withBatchSize(16).withSeed(4);

  @Test
  void theModelPredictsWhatTheLearnerPredictsAndSaysWhereItCameFrom() {
    OnlineLearner learner = OnlineLearner.create(SPEC, Blas.get(), "kafka:chorus.examples");
    learner.trainMinibatch(DATA.x(), DATA.labels(), null, 16);
    learner.trainMinibatch(java.util.Arrays.copyOfRange(DATA.x(), 16 * 5, 64 * 5),
        java.util.Arrays.copyOfRange(DATA.labels(), 16, 64), null, 48);
    TrainedModel model = learner.model();

    float[] fromModel = new float[64 * 3];
    float[] fromLearner = new float[64 * 3];
    model.predictProbaBatch(DATA.x(), 64, fromModel);
    learner.predictProbaBatch(DATA.x(), 64, fromLearner);
    assertThat(fromModel).isEqualTo(fromLearner);
    assertThat(model.predict(DATA.x(), 5)).isEqualTo(learner.predict(DATA.x(), 5));

    Provenance provenance = model.provenance();
    assertThat(provenance.spec()).isEqualTo(SPEC);
    assertThat(provenance.steps()).isEqualTo(2);
    assertThat(provenance.examplesSeen()).isEqualTo(64);
    assertThat(provenance.dataSource()).isEqualTo("kafka:chorus.examples");
    assertThat(provenance.blasBackend()).isEqualTo(Blas.get().backend().key());
    assertThat(provenance.chorusVersion()).as("the build's version, from the pom").matches("\\d+\\.\\d+\\.\\d+.*");
  }

  @Test
  void theCodecWritesTheSameBytesAndAReadModelKnowsNoDataSource() throws IOException {
    byte[] saved;
    try (InputStream in = TrainedModelTest.class.getResourceAsStream("online-learner-v2.bin")) {
      saved = in.readAllBytes();
    }
    OnlineLearner learner = OnlineLearnerCodec.fromBytes(saved);

    assertThat(OnlineLearnerCodec.toBytes(learner)).as("format 2, byte for byte").isEqualTo(saved);
    assertThat(learner.toBytes()).isEqualTo(saved);
    assertThat(learner.model().provenance().dataSource())
        .as("format 2 does not carry it").isEqualTo(Provenance.UNKNOWN_DATA_SOURCE);
    assertThat(learner.model().provenance().examplesSeen()).isEqualTo(24);
  }

  @Test
  void aCopyTrainsApartFromItsOriginalAndKeepsItsProvenance() {
    OnlineLearner learner = OnlineLearner.create(SPEC, Blas.get(), "file:blobs.csv");
    learner.trainMinibatch(DATA.x(), DATA.labels(), null, 16);
    OnlineLearner copy = learner.copy();
    copy.trainMinibatch(DATA.x(), DATA.labels(), null, 16);

    assertThat(learner.model().provenance().steps()).isEqualTo(1);
    assertThat(copy.model().provenance().steps()).isEqualTo(2);
    assertThat(copy.model().provenance().dataSource()).isEqualTo("file:blobs.csv");
    assertThat(copy.model()).isNotSameAs(learner.model());
  }
}

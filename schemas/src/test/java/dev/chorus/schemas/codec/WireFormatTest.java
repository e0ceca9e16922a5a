package dev.chorus.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.schemas.Prediction;
import org.junit.jupiter.api.Test;

class WireFormatTest {

    @Test
    void parsesNamesWhateverTheirCase() {
        assertThat(WireFormat.parse("avro")).isEqualTo(WireFormat.AVRO);
        assertThat(WireFormat.parse("AVRO")).isEqualTo(WireFormat.AVRO);
        assertThat(WireFormat.parse("Json")).isEqualTo(WireFormat.JSON);
        assertThat(WireFormat.parse(" json ")).isEqualTo(WireFormat.JSON);
    }

    @Test
    void printsTheNameItParses() {
        for (WireFormat format : WireFormat.values()) {
            assertThat(WireFormat.parse(format.toString())).isEqualTo(format);
        }
    }

    @Test
    void rejectsOtherNamesListingTheValidOnes() {
        assertThatThrownBy(() -> WireFormat.parse("protobuf"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown wire format 'protobuf': expected one of avro, json");
        assertThatThrownBy(() -> WireFormat.parse(null))
                .hasMessage("unknown wire format null: expected one of avro, json");
    }

    @Test
    void makesACodecOfItsFormatForTheType() {
        assertThat(WireFormat.AVRO.codec(Prediction.class))
                .isInstanceOf(AvroSingleObjectCodec.class)
                .satisfies(codec -> assertThat(codec.format()).isEqualTo(WireFormat.AVRO))
                .satisfies(codec -> assertThat(codec.recordType()).isEqualTo(Prediction.class));
        assertThat(WireFormat.JSON.codec(Prediction.class))
                .isInstanceOf(PlainJsonCodec.class)
                .satisfies(codec -> assertThat(codec.format()).isEqualTo(WireFormat.JSON));
    }
}

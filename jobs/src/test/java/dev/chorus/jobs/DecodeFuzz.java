package dev.chorus.jobs;

import dev.chorus.jobs.badinput.BadInputCorpus;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.codec.RecordCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded fuzz input for the decode stage: valid examples of {@link BadInputCorpus#SPEC}'s task interleaved with
 * random bytes, bit flips, truncations and splices of valid records, in the codec's wire format.
 */
public final class DecodeFuzz {
    private DecodeFuzz() {}

    /** One input record; {@code validId} is the id of an untouched valid example, else null. */
    public record Input(byte[] bytes, String validId) {}

    /** {@code n} inputs, about a third valid, the rest random or mutated. */
    public static List<Input> inputs(RecordCodec<Example> codec, Random random, int n) {
        List<Input> inputs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(6);
            if (kind <= 1) {
                Example e = valid(random, "v" + i);
                inputs.add(new Input(codec.encode(e), e.getId()));
                continue;
            }
            byte[] a = codec.encode(valid(random, "m" + i));
            byte[] mutated = switch (kind) {
                case 2 -> flipBits(a, random);
                case 3 -> Arrays.copyOf(a, random.nextInt(a.length));
                case 4 -> splice(a, codec.encode(valid(random, "s" + i)), random);
                default -> randomBytes(random);
            };
            inputs.add(new Input(mutated, null));
        }
        return inputs;
    }

    /** The bytes of {@link #inputs}. */
    public static List<byte[]> records(RecordCodec<Example> codec, Random random, int n) {
        return inputs(codec, random, n).stream().map(Input::bytes).toList();
    }

    private static Example valid(Random random, String id) {
        float[] features = new float[4];
        for (int j = 0; j < features.length; j++) {
            features[j] = (float) random.nextGaussian();
        }
        Example.Builder e = BadInputCorpus.valid().setId(id).setFeatures(Float32.pack(features));
        return (random.nextInt(4) == 0 ? e.setLabel(null) : e.setLabel(random.nextInt(3))).build();
    }

    private static byte[] flipBits(byte[] bytes, Random random) {
        byte[] flipped = bytes.clone();
        for (int k = 1 + random.nextInt(8); k > 0; k--) {
            int bit = random.nextInt(flipped.length * 8);
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        return flipped;
    }

    private static byte[] splice(byte[] a, byte[] b, Random random) {
        int head = random.nextInt(a.length + 1);
        int tail = random.nextInt(b.length + 1);
        byte[] spliced = Arrays.copyOf(a, head + b.length - tail);
        System.arraycopy(b, tail, spliced, head, b.length - tail);
        return spliced;
    }

    private static byte[] randomBytes(Random random) {
        byte[] bytes = new byte[random.nextInt(200)];
        random.nextBytes(bytes);
        return bytes;
    }
}

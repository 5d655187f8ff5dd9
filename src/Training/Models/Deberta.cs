using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SweepCluster.Training.Models;

// DeBERTa-v2 and -v3 for sequence classification, under "deberta.": disentangled attention, in which each
// score adds to content·content a content→position (c2p) and a position→content (p2c) term read from a
// shared table of relative-position embeddings ("encoder.rel_embeddings"), optionally log-bucketed
// (position_buckets) and LayerNorm-ed (norm_rel_ebd). v3 checkpoints: no absolute positions, no token
// types, shared key projections. v2's optional convolution beside the first layer is supported too.
// The output blocks are BERT's. Head: "pooler" (first token → dense → activation) then "classifier".

/// <summary>Relative positions between query i and key j (i − j), optionally log-bucketed as DeBERTa-v2 does.</summary>
public static class DebertaRelativePositions
{
    /// <summary>[queries, keys] relative positions i − j, log-bucketed beyond ±bucketSize/2 when bucketSize > 0.</summary>
    public static Tensor Build(long queries, long keys, int bucketSize, int maxPosition, Device device)
    {
        var relative = arange(queries, dtype: int64, device: device).unsqueeze(1) - arange(keys, dtype: int64, device: device).unsqueeze(0);
        return bucketSize > 0 && maxPosition > 0 ? LogBuckets(relative, bucketSize, maxPosition) : relative;
    }

    /// <summary>
    /// Positions within ±bucketSize/2 stay exact; farther ones share buckets whose width grows
    /// logarithmically up to maxPosition. Computed in float32 as the reference does, so the ceilings agree.
    /// </summary>
    public static Tensor LogBuckets(Tensor relative, int bucketSize, int maxPosition)
    {
        var mid = bucketSize / 2;
        var sign = relative.sign();
        var absolute = where(relative.lt(mid).logical_and(relative.gt(-mid)), tensor((long)(mid - 1), device: relative.device), relative.abs());
        var logScaled = (absolute.to(float32) / mid).log() / MathF.Log((maxPosition - 1) / (float)mid) * (mid - 1);
        var logPosition = logScaled.ceil() + mid;
        return where(absolute.le(mid), relative.to(float32), logPosition * sign.to(float32)).to(int64);
    }
}

public sealed class DebertaV2Embeddings : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding? position_embeddings;
    private readonly Embedding? token_type_embeddings;
    private readonly Linear? embed_proj;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public DebertaV2Embeddings(BackboneConfig config) : base("embeddings")
    {
        var width = config.EmbeddingWidth;
        word_embeddings = nn.Embedding(config.VocabSize, width, padding_idx: config.PadTokenId);
        if (config.PositionBiasedInput) position_embeddings = nn.Embedding(config.MaxPositions, width);
        if (config.TypeVocabSize > 0) token_type_embeddings = nn.Embedding(config.TypeVocabSize, width);
        if (width != config.HiddenSize) embed_proj = nn.Linear(width, config.HiddenSize, hasBias: false);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropout);
        RegisterComponents();
    }

    /// <summary>Embeds, normalises, then zeroes padded positions (DeBERTa masks its embeddings, BERT does not).</summary>
    public override Tensor forward(Tensor ids, Tensor attentionMask)
    {
        var embedded = word_embeddings.forward(ids);
        if (position_embeddings is not null) embedded += position_embeddings.forward(arange(ids.shape[1], dtype: int64, device: ids.device).unsqueeze(0));
        if (token_type_embeddings is not null) embedded += token_type_embeddings.forward(zeros_like(ids));
        if (embed_proj is not null) embedded = embed_proj.forward(embedded);
        var normalised = LayerNorm.forward(embedded) * attentionMask.unsqueeze(2).to(embedded.dtype);
        return dropout.forward(normalised);
    }
}

/// <summary>
/// DisentangledSelfAttention: content-to-content scores plus c2p (query content · key position) and p2c
/// (key content · query position) terms, all scaled by √(d · (1 + number of position terms)).
/// </summary>
public sealed class DisentangledSelfAttention : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly Linear query_proj;
    private readonly Linear key_proj;
    private readonly Linear value_proj;
    private readonly Linear? pos_key_proj;
    private readonly Linear? pos_query_proj;
    private readonly Dropout pos_dropout;
    private readonly Dropout dropout;
    private readonly int _heads;
    private readonly bool _relative;
    private readonly bool _contentToPosition;
    private readonly bool _positionToContent;
    private readonly bool _shareKey;
    private readonly int _span;

    public DisentangledSelfAttention(BackboneConfig config) : base("self")
    {
        _heads = config.Heads;
        query_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        key_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        value_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        _relative = config.RelativeAttention;
        _contentToPosition = _relative && config.PosAttType.Contains("c2p");
        _positionToContent = _relative && config.PosAttType.Contains("p2c");
        _shareKey = config.ShareAttentionKey;
        _span = config.RelativeAttentionSpan;
        if (_relative && !_shareKey)
        {
            if (_contentToPosition) pos_key_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
            if (_positionToContent) pos_query_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        }
        pos_dropout = nn.Dropout(config.HiddenDropout);
        dropout = nn.Dropout(config.AttentionDropout);
        RegisterComponents();
    }

    /// <param name="hidden">[batch, seq, hidden].</param>
    /// <param name="additiveMask">[batch, 1, 1, seq] from <see cref="AttentionMath.AdditiveMask"/>.</param>
    /// <param name="relativePositions">[seq, seq] (bucketed) i − j.</param>
    /// <param name="relativeEmbeddings">[2·span, hidden], already normalised when the config says so.</param>
    public override Tensor forward(Tensor hidden, Tensor additiveMask, Tensor relativePositions, Tensor relativeEmbeddings)
    {
        var query = AttentionMath.SplitHeads(query_proj.forward(hidden), _heads);
        var key = AttentionMath.SplitHeads(key_proj.forward(hidden), _heads);
        var value = AttentionMath.SplitHeads(value_proj.forward(hidden), _heads);
        var headSize = query.shape[^1];
        var scale = Math.Sqrt(headSize * (1 + (_contentToPosition ? 1 : 0) + (_positionToContent ? 1 : 0)));

        var scores = query.matmul(key.transpose(-1, -2)) / scale;
        if (_contentToPosition || _positionToContent)
        {
            var positions = pos_dropout.forward(relativeEmbeddings.narrow(0, 0, 2 * _span)).unsqueeze(0);
            var batch = query.shape[0];
            var heads = query.shape[1];
            var seq = query.shape[2];
            if (_contentToPosition)
            {
                var positionKey = AttentionMath.SplitHeads((_shareKey ? key_proj : pos_key_proj!).forward(positions), _heads);
                var index = (relativePositions + _span).clamp(0, 2 * _span - 1).expand(batch, heads, seq, seq);
                scores += query.matmul(positionKey.transpose(-1, -2)).gather(-1, index) / scale;
            }
            if (_positionToContent)
            {
                var positionQuery = AttentionMath.SplitHeads((_shareKey ? query_proj : pos_query_proj!).forward(positions), _heads);
                var index = (-relativePositions + _span).clamp(0, 2 * _span - 1).expand(batch, heads, seq, seq);
                scores += key.matmul(positionQuery.transpose(-1, -2)).gather(-1, index).transpose(-1, -2) / scale;
            }
        }
        var probabilities = dropout.forward(softmax(scores + additiveMask.to(scores.dtype), -1));
        return AttentionMath.MergeHeads(probabilities.matmul(value));
    }
}

public sealed class DebertaV2Attention : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly DisentangledSelfAttention self;
    private readonly BertResidualOutput output;

    public DebertaV2Attention(BackboneConfig config) : base("attention")
    {
        self = new DisentangledSelfAttention(config);
        output = new BertResidualOutput(config.HiddenSize, config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor mask, Tensor relativePositions, Tensor relativeEmbeddings) =>
        output.forward(self.forward(hidden, mask, relativePositions, relativeEmbeddings), hidden);
}

public sealed class DebertaV2Layer : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly DebertaV2Attention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertResidualOutput output;

    public DebertaV2Layer(BackboneConfig config) : base("layer")
    {
        attention = new DebertaV2Attention(config);
        intermediate = new BertIntermediate(config);
        output = new BertResidualOutput(config.IntermediateSize, config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor mask, Tensor relativePositions, Tensor relativeEmbeddings)
    {
        var attended = attention.forward(hidden, mask, relativePositions, relativeEmbeddings);
        return output.forward(intermediate.forward(attended), attended);
    }
}

/// <summary>DeBERTa-v2's convolution over the embeddings, added to the first layer's output and normalised.</summary>
public sealed class DebertaV2ConvLayer : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Conv1d conv;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
    private readonly string _activation;

    public DebertaV2ConvLayer(BackboneConfig config) : base("conv")
    {
        conv = nn.Conv1d(config.HiddenSize, config.HiddenSize, config.ConvKernelSize, padding: (config.ConvKernelSize - 1) / 2, groups: config.ConvGroups);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropout);
        _activation = Activations.Check(config.ConvActivation);
        RegisterComponents();
    }

    public override Tensor forward(Tensor embedded, Tensor layerOutput, Tensor attentionMask)
    {
        var keep = attentionMask.unsqueeze(2).to(embedded.dtype);
        var convolved = conv.forward(embedded.permute(0, 2, 1)).permute(0, 2, 1) * keep;
        var output = LayerNorm.forward(layerOutput + Activations.Apply(_activation, dropout.forward(convolved)));
        return output * keep;
    }
}

public sealed class DebertaV2Encoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<DebertaV2Layer> layer;
    private readonly Embedding? rel_embeddings;
    private readonly LayerNorm? LayerNorm;
    private readonly DebertaV2ConvLayer? conv;
    private readonly int _buckets;
    private readonly int _maxRelativePositions;

    public DebertaV2Encoder(BackboneConfig config) : base("encoder")
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new DebertaV2Layer(config)).ToArray());
        if (config.RelativeAttention)
        {
            rel_embeddings = nn.Embedding(2 * config.RelativeAttentionSpan, config.HiddenSize);
            if (config.UsesLayerNormOnRelativeEmbeddings) LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        }
        if (config.ConvKernelSize > 0) conv = new DebertaV2ConvLayer(config);
        _buckets = config.PositionBuckets;
        _maxRelativePositions = config.EffectiveMaxRelativePositions;
        RegisterComponents();
    }

    public override Tensor forward(Tensor embedded, Tensor attentionMask)
    {
        var additive = AttentionMath.AdditiveMask(attentionMask);
        var seq = embedded.shape[1];
        var relative = DebertaRelativePositions.Build(seq, seq, _buckets, _maxRelativePositions, embedded.device);
        var table = rel_embeddings is null ? zeros(0, embedded.shape[2], device: embedded.device) : rel_embeddings.weight!;
        if (LayerNorm is not null) table = LayerNorm.forward(table);
        var hidden = embedded;
        for (var i = 0; i < layer.Count; i++)
        {
            hidden = layer[i].forward(hidden, additive, relative, table);
            if (i == 0 && conv is not null) hidden = conv.forward(embedded, hidden, attentionMask);
        }
        return hidden;
    }
}

public sealed class DebertaV2Model : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly DebertaV2Embeddings embeddings;
    private readonly DebertaV2Encoder encoder;

    public DebertaV2Model(BackboneConfig config) : base("deberta")
    {
        embeddings = new DebertaV2Embeddings(config);
        encoder = new DebertaV2Encoder(config);
        RegisterComponents();
    }

    /// <summary>Every position's hidden state [batch, seq, hidden].</summary>
    public override Tensor forward(Tensor ids, Tensor attentionMask) => encoder.forward(embeddings.forward(ids, attentionMask), attentionMask);
}

/// <summary>ContextPooler: first token → dropout → dense → pooler activation.</summary>
public sealed class DebertaContextPooler : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly Dropout dropout;
    private readonly string _activation;

    public DebertaContextPooler(BackboneConfig config) : base("pooler")
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.PoolerDropout);
        _activation = Activations.Check(config.PoolerActivation);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => Activations.Apply(_activation, dense.forward(dropout.forward(hidden.select(1, 0))));
}

/// <summary>DebertaV2ForSequenceClassification: pooler → dropout (cls_dropout) → classifier.</summary>
public sealed class DebertaV2ForSequenceClassification : SequenceClassificationModel
{
    private readonly DebertaV2Model deberta;
    private readonly DebertaContextPooler pooler;
    private readonly Linear classifier;
    private readonly Dropout dropout;

    public DebertaV2ForSequenceClassification(BackboneConfig config, int labels) : base("DebertaV2ForSequenceClassification", "deberta", config.Layers, labels)
    {
        deberta = new DebertaV2Model(config);
        pooler = new DebertaContextPooler(config);
        classifier = nn.Linear(config.HiddenSize, labels);
        dropout = nn.Dropout(config.ClassifierDropout ?? config.HiddenDropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids, Tensor attentionMask) => classifier.forward(dropout.forward(pooler.forward(deberta.forward(ids, attentionMask))));
}

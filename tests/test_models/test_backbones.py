"""Feature extractors: shapes, parameter counts, checkpoint loading without downloads."""

import pytest
import torch

from dynaseg.engine.weights import load_extractor_weights, save_extractor_weights
from dynaseg.models.backbones import DynaSegCNN, ResNetFPNExtractor, count_parameters


@pytest.mark.parametrize('num_convs', [2, 3])
def test_cnn_shape(num_convs):
    net = DynaSegCNN(num_convs=num_convs)
    assert net(torch.rand(1, 3, 17, 23)).shape == (1, 100, 17, 23)


def test_cnn_parameter_count():
    # conv1 3*100*9+100, BN 200; conv2 100*100*9+100, BN 200; conv1x1 100*100+100, BN 200.
    assert count_parameters(DynaSegCNN(num_convs=2)) == 2800 + 200 + 90100 + 200 + 10100 + 200
    # M=3 adds one 3x3 block: the paper's 0.19 M-parameter model.
    m3 = count_parameters(DynaSegCNN(num_convs=3))
    assert m3 == 193_900 and round(m3 / 1e6, 2) == 0.19


def test_resnet_fpn_shape_and_random_init():
    torch.manual_seed(0)
    net = ResNetFPNExtractor()
    out = net(torch.rand(1, 3, 33, 45))
    assert out.shape == (1, 100, 33, 45)
    # The head's BatchNorm (train mode, fresh affine 1/0) normalises each response channel.
    torch.testing.assert_close(out.mean(dim=(0, 2, 3)), torch.zeros(100), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        out.var(dim=(0, 2, 3), unbiased=False), torch.ones(100), atol=1e-3, rtol=0
    )
    # Random, not loaded: the torch seed decides the weights, zero-centred, no two filters alike.
    torch.manual_seed(0)
    same = ResNetFPNExtractor()
    torch.manual_seed(1)
    other = ResNetFPNExtractor()
    conv1 = net.resnet.conv1.weight
    assert torch.equal(same.resnet.conv1.weight, conv1)
    assert not torch.equal(other.resnet.conv1.weight, conv1)
    assert abs(conv1.mean()) < 0.1 * conv1.std()
    assert torch.unique(conv1.flatten(1), dim=0).shape[0] == conv1.shape[0]
    bn = net.resnet.bn1
    assert (bn.weight == 1).all() and (bn.bias == 0).all()


def test_resnet_fpn_missing_checkpoint_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match='no weights are downloaded'):
        load_extractor_weights(ResNetFPNExtractor(), tmp_path / 'absent.pth')


def test_resnet_fpn_loads_torchvision_and_mmseg_keys(tmp_path):
    source = ResNetFPNExtractor()
    # torchvision format: bare ResNet keys plus a classifier that must be ignored.
    tv = dict(source.resnet.state_dict(), **{'fc.weight': torch.zeros(1000, 512)})
    torch.save(tv, tmp_path / 'tv.pth')
    loaded = ResNetFPNExtractor()
    head = loaded.head[0].weight.clone()
    load_extractor_weights(loaded, tmp_path / 'tv.pth')
    torch.testing.assert_close(loaded.resnet.conv1.weight, source.resnet.conv1.weight)
    torch.testing.assert_close(loaded.head[0].weight, head)  # only the ResNet is replaced
    # mmseg format: {'state_dict': {'backbone.<key>': ...}}.
    mm = {'state_dict': {f'backbone.{k}': v for k, v in source.resnet.state_dict().items()}}
    torch.save(mm, tmp_path / 'mm.pth')
    loaded = ResNetFPNExtractor()
    load_extractor_weights(loaded, tmp_path / 'mm.pth')
    torch.testing.assert_close(
        loaded.resnet.layer1[0].conv1.weight, source.resnet.layer1[0].conv1.weight
    )
    # The whole extractor, as save_extractor_weights writes it.
    save_extractor_weights(source, tmp_path / 'whole.pth')
    loaded = ResNetFPNExtractor()
    load_extractor_weights(loaded, tmp_path / 'whole.pth')
    torch.testing.assert_close(loaded.head[0].weight, source.head[0].weight)


def test_resnet_fpn_rejects_unrelated_checkpoint(tmp_path):
    torch.save({'foo': torch.zeros(3)}, tmp_path / 'bad.pth')
    with pytest.raises(ValueError, match='no ResNet weights matched'):
        load_extractor_weights(ResNetFPNExtractor(), tmp_path / 'bad.pth')

from .cnn import DynaSegCNN, count_parameters
from .resnet_fpn import ResNetFPNExtractor

__all__ = ['DynaSegCNN', 'ResNetFPNExtractor', 'count_parameters']

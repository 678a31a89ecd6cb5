"""Print a config as the tools resolve it: ``_base_`` merged, overrides applied, keys checked.

``python tools/misc/print_config.py CONFIG [--cfg-options k=v ...] [--save PATH]``
"""
import argparse

from mmengine.config import DictAction

from vireid_toolbox.utils.tool_utils import load_config, one_line_errors


def parse_args():
    parser = argparse.ArgumentParser(description='Print the resolved config')
    parser.add_argument('config', help='config file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. model.backbone.depth=18')
    parser.add_argument('--save', help='also write the resolved config to this .py file')
    return parser.parse_args()


def main():
    args = parse_args()
    with one_line_errors('print_config.py'):
        cfg = load_config(args.config, args.cfg_options)
    print(f'Config: {args.config}\n{cfg.pretty_text}')
    if args.save:
        cfg.dump(args.save)
        print(f'saved {args.save}')


if __name__ == '__main__':
    main()

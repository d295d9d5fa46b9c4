"""StreamField blocks shared by the CMS pages (bakerydemo ``base/blocks.py``)."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock
from wagtailmedia.blocks import VideoChooserBlock

RICH_TEXT_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link", "hr"]


class VideoBlock(blocks.StructBlock):
    video = VideoChooserBlock(label=_("视频"))
    caption = blocks.CharBlock(label=_("说明"), required=False, max_length=200)

    class Meta:
        icon = "media"
        label = _("视频")
        template = "courses/blocks/video.html"



class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        label = _("小标题")
        template = "content/blocks/heading.html"


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageBlock(label=_("图片"))
    caption = blocks.CharBlock(label=_("图片说明"), required=False, max_length=200)

    class Meta:
        icon = "image"
        label = _("图片")
        template = "content/blocks/image.html"


class DocumentLinkBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("文档"))
    title = blocks.CharBlock(label=_("链接文字"), required=False, max_length=200, help_text=_("留空则显示文档标题"))

    class Meta:
        icon = "doc-full"
        label = _("文档链接")
        template = "content/blocks/document_link.html"


class BodyBlock(blocks.StreamBlock):
    """The body of a standard page or a notice: headings, text, images, documents."""

    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(label=_("段落"), features=RICH_TEXT_FEATURES, icon="pilcrow")
    image = CaptionedImageBlock()
    document = DocumentLinkBlock()


class AccidentCaseBodyBlock(blocks.StreamBlock):
    """The account of an accident (事故经过): text, photos of the scene and
    video (wagtailmedia, as in lessons)."""

    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(label=_("段落"), features=RICH_TEXT_FEATURES, icon="pilcrow")
    image = CaptionedImageBlock()
    video = VideoBlock()

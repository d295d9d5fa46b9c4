"""The blocks of a lesson's body: text, video, document, image and inline
check questions (随堂测验).

A check question's correct options are never rendered: the player shows the
prompt and the options only, the learner's answer is checked on the server
(:func:`courses.services.lesson_answer`), and the explanation is sent only
after a correct answer."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from content.blocks import VideoBlock


class ChoiceBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("选项"), max_length=200)
    correct = blocks.BooleanBlock(label=_("正确答案"), required=False)

    class Meta:
        label = _("选项")


class CheckQuestionBlock(blocks.StructBlock):
    prompt = blocks.CharBlock(label=_("题目"), max_length=300)
    choices = blocks.ListBlock(ChoiceBlock(), label=_("选项"), min_num=2, max_num=8)
    explanation = blocks.TextBlock(label=_("答案解析"), required=False, help_text=_("答对后显示"))

    class Meta:
        icon = "help"
        label = _("随堂测验题")
        template = "courses/blocks/check_question.html"

    def clean(self, value):
        value = super().clean(value)
        if not any(choice["correct"] for choice in value["choices"]):
            raise StructBlockValidationError(block_errors={"choices": ValidationError(_("至少标记一个正确答案"))})
        return value


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("图片"))
    caption = blocks.CharBlock(label=_("说明"), required=False, max_length=200)

    class Meta:
        icon = "image"
        label = _("图片")
        template = "courses/blocks/image.html"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("文档"))
    caption = blocks.CharBlock(label=_("说明"), required=False, max_length=200)

    class Meta:
        icon = "doc-full"
        label = _("文档")
        template = "courses/blocks/document.html"


class LessonBodyBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(
        label=_("正文"), features=["h2", "h3", "bold", "italic", "ol", "ul", "link", "hr"], template="courses/blocks/text.html"
    )
    video = VideoBlock()
    document = DocumentBlock()
    image = CaptionedImageBlock()
    question = CheckQuestionBlock()
